// Runs the addon's kernel calls on worker threads while JavaScript goes on.
//
// A training step is hundreds of kernel calls made one after another from JavaScript,
// with tfjs's bookkeeping between them (a sixth of the step), and many of them too small
// to keep two cores busy. Here a call only queues its work and returns: the workers run
// it once the calls writing what it reads have run. Calls that touch no common buffer run
// side by side, each on one thread (the two gradients of a convolution, the two
// discriminators); a call with nothing beside it runs on every thread.
//
// Every value is the same whatever the order and the timing: no two pending calls write
// the same buffer, and a call's thread count depends on what else is running only where
// its values do not depend on the thread count (Team::Any).
//
// Each addon instance (each Node.js thread that loads the addon) has its own workers and
// its own converted filters (conv.h): filter keys are per instance.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "conv.h"

namespace voiceswap {

// The threads a call runs on.
enum class Team {
  One,  // one thread, beside other calls
  All,  // every thread, alone
  // Its values are the same on any number of threads: every thread, alone, when nothing
  // else is ready to run beside it (a chain of dependent calls); else one thread.
  Any,
};

// One queued kernel call.
struct Work {
  std::function<void()> run;
  // The memory it reads and writes, by address (a buffer is always passed by its start).
  std::vector<const void*> reads, writes;
  // The JavaScript arrays it uses, kept alive until it has run.
  std::vector<napi_ref> keep;
  Team team = Team::One;
  // The kernel, for error messages.
  const char* name = "a native kernel";
};

// Queues `work` behind every pending call that writes what it reads, or reads or writes
// what it writes. Throws the error of a call that failed since the last check.
void submitWork(napi_env env, Work work);

// Waits until every queued call has run; throws the first error among them.
void finishWork(napi_env env);

// Whether a queued call still reads or writes memory starting at `address`.
bool workPending(napi_env env, const void* address);

// Thread-milliseconds the workers have spent running calls so far, by kernel name (Work::
// name): a call's time counted once per thread it ran on.
std::vector<std::pair<const char*, double>> workMilliseconds(napi_env env);

// Worker threads, and the team of a whole-team call (default: OpenMP's thread count).
int workerThreads(napi_env env);
// Waits for pending work, then runs later calls on n threads.
void setWorkerThreads(napi_env env, int n);

// The converted filters of this instance's convolution passes.
FilterStore& filterStore(napi_env env);

// An address standing for a filter key in Work::reads/writes (odd: never a float's).
inline const void* filterKeyAddress(int64_t key) {
  return reinterpret_cast<const void*>((static_cast<uintptr_t>(key) << 1) | 1);
}

}  // namespace voiceswap
