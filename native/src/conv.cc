#include "conv.h"

#include <omp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "context.h"
#include "gemm.h"
#include "parallel.h"
#include "thin_conv.h"

namespace voiceswap {

using dnnl::memory;
using Tag = memory::format_tag;

ConvShape convShapeFromInts(const int* v) {
  return ConvShape{v[0], v[1], v[2],  v[3],  v[4],  v[5],  v[6],  v[7], v[8],
                   v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]};
}

namespace {

// One operand of a prepared primitive. tfjs's buffers are NHWC / HWIO; oneDNN's kernel
// may want another layout, in which case the plan owns a buffer in that layout and a
// reorder between the two.
struct Operand {
  int arg = 0;
  memory::desc user;
  bool reordered = false;
  memory inner;
  dnnl::reorder convert;
};

struct Plan {
  dnnl::primitive op;
  std::string implementation;
  std::vector<Operand> inputs;
  Operand output;
};

memory::desc userActivation(const ConvShape& s, bool input) {
  const memory::dims dims = input ? memory::dims{s.batch, s.inC, s.inH, s.inW} : memory::dims{s.batch, s.outC, s.outH, s.outW};
  return memory::desc(dims, memory::data_type::f32, Tag::nhwc);
}

memory::desc userFilter(const ConvShape& s) {
  return memory::desc({s.outC, s.inC, s.kH, s.kW}, memory::data_type::f32, Tag::hwio);
}

Operand makeOperand(int arg, const memory::desc& user, const memory::desc& wanted, bool isInput) {
  Operand o;
  o.arg = arg;
  o.user = user;
  o.reordered = wanted != user;
  if (o.reordered) {
    o.inner = memory(wanted, cpuEngine());
    memory userMem(user, cpuEngine(), DNNL_MEMORY_NONE);
    o.convert = isInput ? dnnl::reorder(userMem, o.inner) : dnnl::reorder(o.inner, userMem);
  }
  return o;
}

// A plan for one pass. `plainActivations` keeps activations in NHWC (no reorders of the
// large tensors); otherwise oneDNN may pick any layout for them. Filters are small and
// always go to oneDNN's preferred layout.
std::unique_ptr<Plan> makePlan(ConvPass pass, const ConvShape& s, bool plainActivations) {
  const memory::dims strides{s.strideH, s.strideW};
  const memory::dims dilation{s.dilationH - 1, s.dilationW - 1};  // oneDNN counts the gaps
  const memory::dims padBefore{s.padTop, s.padLeft};
  const memory::dims padAfter{s.padBottom, s.padRight};
  const auto activation = [&](bool input) {
    return plainActivations ? userActivation(s, input)
                            : memory::desc(userActivation(s, input).dims(), memory::data_type::f32, Tag::any);
  };
  const memory::desc filter({s.outC, s.inC, s.kH, s.kW}, memory::data_type::f32, Tag::any);
  const memory::desc src = activation(true), dst = activation(false);
  const auto algorithm = dnnl::algorithm::convolution_direct;

  const bool withBias = pass == ConvPass::ForwardBias;
  const memory::desc bias({s.outC}, memory::data_type::f32, Tag::a);
  const dnnl::convolution_forward::primitive_desc fwd(
      withBias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algorithm, src, filter, bias, dst,
                                                 strides, dilation, padBefore, padAfter)
               : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algorithm, src, filter, dst, strides,
                                                 dilation, padBefore, padAfter),
      cpuEngine());
  auto plan = std::make_unique<Plan>();
  switch (pass) {
    case ConvPass::Forward:
    case ConvPass::ForwardBias:
      plan->implementation = fwd.impl_info_str();
      plan->op = dnnl::convolution_forward(fwd);
      plan->inputs.push_back(makeOperand(DNNL_ARG_SRC, userActivation(s, true), fwd.src_desc(), true));
      plan->inputs.push_back(makeOperand(DNNL_ARG_WEIGHTS, userFilter(s), fwd.weights_desc(), true));
      if (withBias) plan->inputs.push_back(makeOperand(DNNL_ARG_BIAS, bias, fwd.bias_desc(), true));
      plan->output = makeOperand(DNNL_ARG_DST, userActivation(s, false), fwd.dst_desc(), false);
      break;
    case ConvPass::BackwardData: {
      const dnnl::convolution_backward_data::primitive_desc pd(
          dnnl::convolution_backward_data::desc(algorithm, src, filter, dst, strides, dilation, padBefore, padAfter),
          cpuEngine(), fwd);
      plan->implementation = pd.impl_info_str();
      plan->op = dnnl::convolution_backward_data(pd);
      plan->inputs.push_back(makeOperand(DNNL_ARG_DIFF_DST, userActivation(s, false), pd.diff_dst_desc(), true));
      plan->inputs.push_back(makeOperand(DNNL_ARG_WEIGHTS, userFilter(s), pd.weights_desc(), true));
      plan->output = makeOperand(DNNL_ARG_DIFF_SRC, userActivation(s, true), pd.diff_src_desc(), false);
      break;
    }
    case ConvPass::BackwardWeights: {
      const dnnl::convolution_backward_weights::primitive_desc pd(
          dnnl::convolution_backward_weights::desc(algorithm, src, filter, dst, strides, dilation, padBefore, padAfter),
          cpuEngine(), fwd);
      plan->implementation = pd.impl_info_str();
      plan->op = dnnl::convolution_backward_weights(pd);
      plan->inputs.push_back(makeOperand(DNNL_ARG_SRC, userActivation(s, true), pd.src_desc(), true));
      plan->inputs.push_back(makeOperand(DNNL_ARG_DIFF_DST, userActivation(s, false), pd.diff_dst_desc(), true));
      plan->output = makeOperand(DNNL_ARG_DIFF_WEIGHTS, userFilter(s), pd.diff_weights_desc(), false);
      break;
    }
  }
  return plan;
}

bool isReference(const std::string& implementation) { return implementation.rfind("ref", 0) == 0; }

// The plan to run: NHWC activations if oneDNN has a proper kernel for them, else any
// layout; a reference kernel only when nothing better exists; never a signal-unsafe one
// (null: the pass is not supported natively).
std::unique_ptr<Plan> choosePlan(ConvPass pass, const ConvShape& s) {
  std::unique_ptr<Plan> reference;
  for (const bool plain : {true, false}) {
    std::unique_ptr<Plan> plan;
    try {
      plan = makePlan(pass, s, plain);
    } catch (const dnnl::error&) {
      continue;  // no kernel for this layout
    }
    if (isSignalUnsafe(plan->implementation.c_str())) continue;
    if (!isReference(plan->implementation)) return plan;
    if (!reference) reference = std::move(plan);
  }
  return reference;
}

using PlanKey = std::array<int, kConvShapeFields + 2>;

// Creating a oneDNN primitive JIT-compiles its kernel (milliseconds); a training step
// runs the same few dozen convolutions over and over, so each is prepared once per thread
// count (a kernel is prepared for the threads in force when it is created; the same pass
// may run on one thread or on all, executor.h). A plan owns its scratch buffers, so each
// thread has its own.
std::map<PlanKey, std::unique_ptr<Plan>>& plans() {
  static thread_local std::map<PlanKey, std::unique_ptr<Plan>> cache;
  return cache;
}

Plan* planFor(ConvPass pass, const ConvShape& s) {
  const PlanKey key{static_cast<int>(pass), s.batch,    s.inH,    s.inW,       s.inC,      s.outH,
                    s.outW,                 s.outC,     s.kH,     s.kW,        s.strideH,  s.strideW,
                    s.padTop,               s.padLeft,  s.padBottom, s.padRight, s.dilationH, s.dilationW,
                    omp_get_max_threads()};
  auto& cache = plans();
  auto found = cache.find(key);
  if (found == cache.end()) found = cache.emplace(key, choosePlan(pass, s)).first;
  return found->second.get();
}

}  // namespace

// Filters already converted to the layouts oneDNN's kernels want, by the caller's key for
// the filter's contents (see conv.h). A training step passes each weight through several
// convolutions of the same layout (a generator's batched and cycle passes, a
// discriminator's generator-step and discriminator-step passes) before the optimiser
// replaces it: converting it once saves the rest. The worker threads run passes of one
// filter side by side: each filter is converted once, by whichever needs it first; its
// copies are forgotten only after every pass given its key has run (the executor orders
// forget after them).
struct FilterStore::Impl {
  struct Converted {
    memory::desc layout;
    memory data;
  };
  mutable std::mutex mutex;
  std::unordered_map<int64_t, std::vector<Converted>> byKey;
  // The buffers of forgotten filters, kept for reuse: the next step's weights need the
  // same layouts, and writing into a fresh multi-megabyte allocation costs its page
  // faults (several times the conversion itself).
  std::vector<Converted> spare;
  size_t spareBytes = 0;
  std::atomic<int64_t> conversions{0};

  static constexpr size_t kMaxSpareBytes = size_t(256) << 20;

  // (mutex held) A buffer in `layout`: a spare one when there is one.
  memory buffer(const memory::desc& layout) {
    for (size_t i = 0; i < spare.size(); i++) {
      if (spare[i].layout != layout) continue;
      memory reused = spare[i].data;
      spareBytes -= layout.get_size();
      spare[i] = spare.back();
      spare.pop_back();
      return reused;
    }
    return memory(layout, cpuEngine());
  }

  // The filter in operand o's layout: converted on first use under `key`, then reused.
  template <typename Operand>
  memory prepared(Operand& o, memory user, int64_t key, dnnl::stream& stream) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<Converted>& layouts = byKey[key];
    const memory::desc wanted = o.inner.get_desc();
    for (const Converted& c : layouts) {
      if (c.layout == wanted) return c.data;
    }
    memory converted = buffer(wanted);
    o.convert.execute(stream, user, converted);
    stream.wait();
    conversions++;
    layouts.push_back({wanted, converted});
    return converted;
  }
};

FilterStore::FilterStore() : impl_(std::make_unique<Impl>()) {}
FilterStore::~FilterStore() = default;

FilterStore::Impl& filterStoreImpl(FilterStore& store) { return *store.impl_; }

void FilterStore::forget(int64_t key) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const auto found = impl_->byKey.find(key);
  if (found == impl_->byKey.end()) return;
  for (Impl::Converted& c : found->second) {
    const size_t bytes = c.layout.get_size();
    if (impl_->spareBytes + bytes > Impl::kMaxSpareBytes) continue;
    impl_->spareBytes += bytes;
    impl_->spare.push_back(std::move(c));
  }
  impl_->byKey.erase(found);
}

void FilterStore::forgetAll() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->byKey.clear();
  impl_->spare.clear();
  impl_->spareBytes = 0;
}

int64_t FilterStore::conversions() const { return impl_->conversions; }

int64_t FilterStore::kept() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return static_cast<int64_t>(impl_->byKey.size());
}

namespace {

thread_local FilterStore* currentStore = nullptr;

void execute(ConvPass pass, const ConvShape& s, std::initializer_list<const float*> inputs, float* output,
             int64_t filterKey = kNoFilterKey) {
  Plan* plan = planFor(pass, s);
  if (plan == nullptr) throw std::logic_error("convolution pass not supported natively (check conv2dSupported)");
  dnnl::stream& stream = cpuStream();
  std::unordered_map<int, memory> args;
  size_t i = 0;
  for (const float* data : inputs) {
    Operand& o = plan->inputs[i++];
    memory user(o.user, cpuEngine(), const_cast<float*>(data));
    if (o.reordered && o.arg == DNNL_ARG_WEIGHTS && filterKey != kNoFilterKey && currentStore != nullptr) {
      args.emplace(o.arg, filterStoreImpl(*currentStore).prepared(o, user, filterKey, stream));
    } else if (o.reordered) {
      o.convert.execute(stream, user, o.inner);
      if (o.arg == DNNL_ARG_WEIGHTS && currentStore != nullptr) filterStoreImpl(*currentStore).conversions++;
      args.emplace(o.arg, o.inner);
    } else {
      args.emplace(o.arg, user);
    }
  }
  Operand& out = plan->output;
  memory userOut(out.user, cpuEngine(), output);
  args.emplace(out.arg, out.reordered ? out.inner : userOut);
  plan->op.execute(stream, args);
  if (out.reordered) out.convert.execute(stream, out.inner, userOut);
  stream.wait();
}

}  // namespace

namespace {

// A small pass runs on one thread (see kSingleThreadFlops), its kernel prepared for one.
class SmallPassThreads : public OneThreadScope {
 public:
  explicit SmallPassThreads(const ConvShape& s) : OneThreadScope(convPassFlops(s) < kSingleThreadFlops) {}
};

}  // namespace

bool conv2dSupported(ConvPass pass, const ConvShape& s) {
  SmallPassThreads threads(s);
  return thinConvHandles(pass, s) || planFor(pass, s) != nullptr;
}

namespace {

// y[p, c] += bias[c] for every position p, on the thread count in force.
void addBias(const ConvShape& s, const float* bias, float* y) {
  const int64_t positions = int64_t(s.batch) * s.outH * s.outW;
  parallelFor(positions, positions * s.outC, [&](int64_t first, int64_t end) {
    for (int64_t p = first; p < end; p++) {
      float* row = y + p * s.outC;
      for (int c = 0; c < s.outC; c++) row[c] += bias[c];
    }
  });
}

}  // namespace

void conv2dForward(const ConvShape& s, const float* x, const float* w, const float* bias, float* y, int64_t filterKey) {
  SmallPassThreads threads(s);
  if (thinConvHandles(ConvPass::Forward, s)) {
    return thinConvForward(s, x, w, bias, y);
  } else if (bias != nullptr && planFor(ConvPass::ForwardBias, s) != nullptr) {
    // oneDNN adds the bias as it writes the result: no second pass over the output
    return execute(ConvPass::ForwardBias, s, {x, w, bias}, y, filterKey);
  } else {
    execute(ConvPass::Forward, s, {x, w}, y, filterKey);
  }
  if (bias != nullptr) addBias(s, bias, y);
}

void conv2dBackwardData(const ConvShape& s, const float* dy, const float* w, float* dx, int64_t filterKey) {
  SmallPassThreads threads(s);
  if (thinConvHandles(ConvPass::BackwardData, s)) return thinConvBackwardData(s, dy, w, dx);
  execute(ConvPass::BackwardData, s, {dy, w}, dx, filterKey);
}

void conv2dBackwardWeights(const ConvShape& s, const float* x, const float* dy, float* dw) {
  SmallPassThreads threads(s);
  if (thinConvHandles(ConvPass::BackwardWeights, s)) return thinConvBackwardWeights(s, x, dy, dw);
  execute(ConvPass::BackwardWeights, s, {x, dy}, dw);
}

void useFilterStore(FilterStore* store) { currentStore = store; }

double convPassFlops(const ConvShape& s) {
  return 2.0 * s.batch * s.outH * s.outW * s.outC * s.kH * s.kW * s.inC;
}

}  // namespace voiceswap
