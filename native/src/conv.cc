#include "conv.h"

#include <array>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "context.h"

namespace voiceswap {

using dnnl::memory;
using Tag = memory::format_tag;

ConvShape convShapeFromInts(const int* v) {
  return ConvShape{v[0], v[1], v[2],  v[3],  v[4],  v[5],  v[6],  v[7], v[8],
                   v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]};
}

namespace {

enum class Pass { Forward, BackwardData, BackwardWeights };

// One operand of a prepared primitive. tfjs's buffers are NHWC / HWIO; oneDNN's fastest
// kernels may want a blocked layout, in which case the plan owns a buffer in that layout
// and a reorder between the two.
struct Operand {
  int arg = 0;
  memory::desc user;
  bool reordered = false;
  memory inner;
  dnnl::reorder convert;
};

struct Plan {
  dnnl::primitive op;
  std::vector<Operand> inputs;
  Operand output;
};

memory::dims activationDims(const ConvShape& s, bool input) {
  return input ? memory::dims{s.batch, s.inC, s.inH, s.inW} : memory::dims{s.batch, s.outC, s.outH, s.outW};
}

memory::desc userActivation(const ConvShape& s, bool input) {
  return memory::desc(activationDims(s, input), memory::data_type::f32, Tag::nhwc);
}

memory::desc userFilter(const ConvShape& s) {
  return memory::desc({s.outC, s.inC, s.kH, s.kW}, memory::data_type::f32, Tag::hwio);
}

// Activations stay NHWC (a reorder of every activation would cost more than it saves at
// these sizes); filters are small, so they may be reordered into oneDNN's preferred layout.
memory::desc anyActivation(const ConvShape& s, bool input) { return userActivation(s, input); }

memory::desc anyFilter(const ConvShape& s) {
  return memory::desc({s.outC, s.inC, s.kH, s.kW}, memory::data_type::f32, Tag::any);
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

dnnl::convolution_forward::primitive_desc forwardDesc(const ConvShape& s) {
  const memory::dims strides{s.strideH, s.strideW};
  const memory::dims dilation{s.dilationH - 1, s.dilationW - 1};  // oneDNN counts the gaps
  const memory::dims padBefore{s.padTop, s.padLeft};
  const memory::dims padAfter{s.padBottom, s.padRight};
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                    anyActivation(s, true), anyFilter(s), anyActivation(s, false), strides, dilation,
                                    padBefore, padAfter);
  return dnnl::convolution_forward::primitive_desc(d, cpuEngine());
}

std::unique_ptr<Plan> makePlan(Pass pass, const ConvShape& s) {
  const memory::dims strides{s.strideH, s.strideW};
  const memory::dims dilation{s.dilationH - 1, s.dilationW - 1};
  const memory::dims padBefore{s.padTop, s.padLeft};
  const memory::dims padAfter{s.padBottom, s.padRight};
  auto plan = std::make_unique<Plan>();
  const auto fwd = forwardDesc(s);
  switch (pass) {
    case Pass::Forward:
      plan->op = dnnl::convolution_forward(fwd);
      plan->inputs.push_back(makeOperand(DNNL_ARG_SRC, userActivation(s, true), fwd.src_desc(), true));
      plan->inputs.push_back(makeOperand(DNNL_ARG_WEIGHTS, userFilter(s), fwd.weights_desc(), true));
      plan->output = makeOperand(DNNL_ARG_DST, userActivation(s, false), fwd.dst_desc(), false);
      break;
    case Pass::BackwardData: {
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, anyActivation(s, true),
                                              anyFilter(s), anyActivation(s, false), strides, dilation, padBefore,
                                              padAfter);
      dnnl::convolution_backward_data::primitive_desc pd(d, cpuEngine(), fwd);
      plan->op = dnnl::convolution_backward_data(pd);
      plan->inputs.push_back(makeOperand(DNNL_ARG_DIFF_DST, userActivation(s, false), pd.diff_dst_desc(), true));
      plan->inputs.push_back(makeOperand(DNNL_ARG_WEIGHTS, userFilter(s), pd.weights_desc(), true));
      plan->output = makeOperand(DNNL_ARG_DIFF_SRC, userActivation(s, true), pd.diff_src_desc(), false);
      break;
    }
    case Pass::BackwardWeights: {
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, anyActivation(s, true),
                                                 anyFilter(s), anyActivation(s, false), strides, dilation,
                                                 padBefore, padAfter);
      dnnl::convolution_backward_weights::primitive_desc pd(d, cpuEngine(), fwd);
      plan->op = dnnl::convolution_backward_weights(pd);
      plan->inputs.push_back(makeOperand(DNNL_ARG_SRC, userActivation(s, true), pd.src_desc(), true));
      plan->inputs.push_back(makeOperand(DNNL_ARG_DIFF_DST, userActivation(s, false), pd.diff_dst_desc(), true));
      plan->output = makeOperand(DNNL_ARG_DIFF_WEIGHTS, userFilter(s), pd.diff_weights_desc(), false);
      break;
    }
  }
  return plan;
}

using PlanKey = std::array<int, kConvShapeFields + 1>;

// Creating a oneDNN primitive JIT-compiles its kernel (milliseconds); a training step
// runs the same few dozen convolutions over and over, so each is prepared once.
std::map<PlanKey, std::unique_ptr<Plan>>& plans() {
  static std::map<PlanKey, std::unique_ptr<Plan>> cache;
  return cache;
}

Plan& planFor(Pass pass, const ConvShape& s) {
  const PlanKey key{static_cast<int>(pass), s.batch,    s.inH,    s.inW,       s.inC,      s.outH,
                    s.outW,                 s.outC,     s.kH,     s.kW,        s.strideH,  s.strideW,
                    s.padTop,               s.padLeft,  s.padBottom, s.padRight, s.dilationH, s.dilationW};
  auto& cache = plans();
  auto found = cache.find(key);
  if (found == cache.end()) found = cache.emplace(key, makePlan(pass, s)).first;
  return *found->second;
}

void execute(Plan& plan, std::initializer_list<const float*> inputs, float* output) {
  dnnl::stream& stream = cpuStream();
  std::unordered_map<int, memory> args;
  size_t i = 0;
  for (const float* data : inputs) {
    Operand& o = plan.inputs[i++];
    memory user(o.user, cpuEngine(), const_cast<float*>(data));
    if (o.reordered) {
      o.convert.execute(stream, user, o.inner);
      args.emplace(o.arg, o.inner);
    } else {
      args.emplace(o.arg, user);
    }
  }
  Operand& out = plan.output;
  memory userOut(out.user, cpuEngine(), output);
  args.emplace(out.arg, out.reordered ? out.inner : userOut);
  plan.op.execute(stream, args);
  if (out.reordered) out.convert.execute(stream, out.inner, userOut);
  stream.wait();
}

}  // namespace

void conv2dForward(const ConvShape& s, const float* x, const float* w, float* y) {
  execute(planFor(Pass::Forward, s), {x, w}, y);
}

void conv2dBackwardData(const ConvShape& s, const float* dy, const float* w, float* dx) {
  execute(planFor(Pass::BackwardData, s), {dy, w}, dx);
}

void conv2dBackwardWeights(const ConvShape& s, const float* x, const float* dy, float* dw) {
  execute(planFor(Pass::BackwardWeights, s), {x, dy}, dw);
}

void clearConvPlans() { plans().clear(); }

}  // namespace voiceswap
