#include "executor.h"

#include <omp.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

namespace voiceswap {
namespace {

struct Task {
  Work work;
  uint64_t order;  // submission order: among runnable calls, the earliest runs first
  int unmet;       // earlier calls it still waits for
  std::vector<Task*> dependents;
};

// The pending calls that touch one address: the last writer, and the readers since.
struct Resource {
  Task* writer = nullptr;
  std::vector<Task*> readers;
};

class Executor {
 public:
  ~Executor() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      allDone_.wait(lock, [this] { return pending_ == 0; });
    }
    stop();
  }

  void submit(napi_env env, Work work) {
    release(env);
    std::unique_lock<std::mutex> lock(mu_);
    if (!error_.empty()) {
      const std::string error = takeError();
      lock.unlock();
      for (napi_ref ref : work.keep) napi_delete_reference(env, ref);
      throw std::runtime_error(error);
    }
    if (workers_.empty()) start();
    Task* task = new Task{std::move(work), nextOrder_++, 0, {}};
    for (const void* address : task->work.reads) {
      Resource& r = resources_[address];
      if (r.writer != nullptr) dependsOn(task, r.writer);
      if (r.readers.empty() || r.readers.back() != task) r.readers.push_back(task);
    }
    for (const void* address : task->work.writes) {
      Resource& r = resources_[address];
      if (r.writer != nullptr && r.writer != task) dependsOn(task, r.writer);
      for (Task* reader : r.readers) {
        if (reader != task) dependsOn(task, reader);
      }
      r.readers.clear();
      r.writer = task;
    }
    pending_++;
    if (task->unmet == 0) {
      ready_.emplace(task->order, task);
      runnable_.notify_all();
    }
  }

  void finish(napi_env env) {
    std::unique_lock<std::mutex> lock(mu_);
    allDone_.wait(lock, [this] { return pending_ == 0; });
    const std::string error = takeError();
    lock.unlock();
    release(env);
    if (!error.empty()) throw std::runtime_error(error);
  }

  bool busy(const void* address) {
    std::lock_guard<std::mutex> lock(mu_);
    return resources_.count(address) != 0;
  }

  int threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return teamSize();
  }

  void setThreads(napi_env env, int n) {
    finish(env);
    stop();
    std::lock_guard<std::mutex> lock(mu_);
    threads_ = n;
  }

  FilterStore& filters() { return filters_; }

  std::vector<std::pair<const char*, double>> workMs() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<const char*, double>> out;
    for (const auto& [name, ns] : workNs_) out.emplace_back(name, static_cast<double>(ns) / 1e6);
    return out;
  }

 private:
  // (mu_ held) threads_ once set; until then OpenMP's count on the first caller's thread.
  int teamSize() {
    if (threads_ == 0) threads_ = omp_get_max_threads();
    return threads_;
  }

  // (mu_ held)
  void start() {
    const int n = teamSize();
    for (int i = 0; i < n; i++) workers_.emplace_back([this] { workerLoop(); });
  }

  // Waits for the workers to run out of runnable calls, and ends them.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      runnable_.notify_all();
    }
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }

  static void dependsOn(Task* task, Task* earlier) {
    earlier->dependents.push_back(task);
    task->unmet++;
  }

  // (mu_ held) The earliest runnable call if it may start now: a whole-team call only when
  // nothing else runs, and nothing else while one runs.
  Task* startable() const {
    if (ready_.empty()) return nullptr;
    Task* first = ready_.begin()->second;
    if (first->work.team == Team::All) return running_ == 0 ? first : nullptr;
    return wholeTeamRunning_ ? nullptr : first;
  }

  // (mu_ held) Whether `task`, just taken off the ready list, runs on every thread.
  bool onWholeTeam(const Task* task) const {
    switch (task->work.team) {
      case Team::All:
        return true;
      case Team::Any:
        return running_ == 0 && ready_.empty();
      case Team::One:
        break;
    }
    return false;
  }

  void workerLoop() {
    useFilterStore(&filters_);
    int team = 0;  // this thread's OpenMP team size, as last set
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      Task* task = startable();
      if (task == nullptr) {
        if (stopping_) return;
        runnable_.wait(lock);
        continue;
      }
      ready_.erase(task->order);
      const bool whole = onWholeTeam(task);
      running_++;
      if (whole) wholeTeamRunning_ = true;
      const int want = whole ? teamSize() : 1;
      lock.unlock();
      if (want != team) omp_set_num_threads(team = want);
      std::string failure;
      const auto started = std::chrono::steady_clock::now();
      try {
        task->work.run();
      } catch (const std::exception& e) {
        failure = std::string(task->work.name) + ": " + e.what();
      } catch (...) {
        failure = std::string(task->work.name) + " failed";
      }
      const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started);
      lock.lock();
      workNs_[task->work.name] += want * took.count();
      if (!failure.empty() && error_.empty()) error_ = failure;
      if (whole) wholeTeamRunning_ = false;
      complete(task);
    }
  }

  // (mu_ held) `task` has run: release what waited for it, and forget its accesses.
  void complete(Task* task) {
    for (Task* next : task->dependents) {
      if (--next->unmet == 0) ready_.emplace(next->order, next);
    }
    for (const void* address : task->work.reads) {
      const auto found = resources_.find(address);
      if (found == resources_.end()) continue;
      auto& readers = found->second.readers;
      for (size_t i = readers.size(); i-- > 0;) {
        if (readers[i] == task) readers.erase(readers.begin() + static_cast<std::ptrdiff_t>(i));
      }
      if (found->second.writer == nullptr && readers.empty()) resources_.erase(found);
    }
    for (const void* address : task->work.writes) {
      const auto found = resources_.find(address);
      if (found == resources_.end() || found->second.writer != task) continue;
      found->second.writer = nullptr;
      if (found->second.readers.empty()) resources_.erase(found);
    }
    finishedKeep_.insert(finishedKeep_.end(), task->work.keep.begin(), task->work.keep.end());
    running_--;
    pending_--;
    delete task;
    runnable_.notify_all();
    if (pending_ == 0) allDone_.notify_all();
  }

  // (mu_ held)
  std::string takeError() {
    std::string error;
    error.swap(error_);
    return error;
  }

  // (JavaScript thread) Lets go of the arrays of calls that have run.
  void release(napi_env env) {
    std::vector<napi_ref> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done.swap(finishedKeep_);
    }
    for (napi_ref ref : done) napi_delete_reference(env, ref);
  }

  std::mutex mu_;
  std::condition_variable runnable_, allDone_;
  std::map<uint64_t, Task*> ready_;
  std::unordered_map<const void*, Resource> resources_;
  uint64_t nextOrder_ = 0;
  size_t pending_ = 0;
  int running_ = 0;
  bool wholeTeamRunning_ = false;
  bool stopping_ = false;
  int threads_ = 0;
  std::vector<std::thread> workers_;
  std::vector<napi_ref> finishedKeep_;
  std::string error_;
  FilterStore filters_;
  std::unordered_map<const char*, int64_t> workNs_;  // by kernel name (string literals)
};

// This instance's executor, made on first use; when the instance goes (its Node.js thread
// ends), queued work is finished and the workers are joined.
Executor& executorOf(napi_env env) {
  void* data = nullptr;
  if (napi_get_instance_data(env, &data) == napi_ok && data != nullptr) return *static_cast<Executor*>(data);
  auto* executor = new Executor();
  const auto finalize = [](napi_env, void* finalizeData, void*) {
    auto* ending = static_cast<Executor*>(finalizeData);
    delete ending;  // its destructor waits for the workers
  };
  if (napi_set_instance_data(env, executor, finalize, nullptr) != napi_ok) {
    delete executor;
    throw std::runtime_error("cannot attach the kernel executor to this Node.js instance");
  }
  return *executor;
}

}  // namespace

void submitWork(napi_env env, Work work) { executorOf(env).submit(env, std::move(work)); }
void finishWork(napi_env env) { executorOf(env).finish(env); }
bool workPending(napi_env env, const void* address) { return executorOf(env).busy(address); }
int workerThreads(napi_env env) { return executorOf(env).threads(); }
void setWorkerThreads(napi_env env, int n) { executorOf(env).setThreads(env, n); }
FilterStore& filterStore(napi_env env) { return executorOf(env).filters(); }
std::vector<std::pair<const char*, double>> workMilliseconds(napi_env env) { return executorOf(env).workMs(); }

}  // namespace voiceswap
