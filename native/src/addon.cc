// The Node-API surface of the addon. Every kernel reads its inputs from, and writes its
// output into, Float32Arrays the caller owns (tfjs's cpu-backend buffers): no copies. A
// kernel call checks its arguments and queues its work for the worker threads
// (executor.h); sync() waits for it.
#include <node_api.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "adam.h"
#include "context.h"
#include "conv.h"
#include "copy.h"
#include "elementwise.h"
#include "executor.h"
#include "gemm.h"
#include "napi_args.h"
#include "norm.h"
#include "norm_glu.h"
#include "parallel.h"
#include "reduce.h"
#include "residual.h"
#include "thin_conv.h"

namespace voiceswap {
namespace {

size_t product(std::initializer_list<int> dims) {
  size_t n = 1;
  for (int d : dims) n *= static_cast<size_t>(d);
  return n;
}

ConvShape readConvShape(napi_env env, napi_value value) {
  const auto ints = int32Array(env, value, "conv shape");
  expectLength(ints, kConvShapeFields, "conv shape");
  const ConvShape s = convShapeFromInts(ints.data);
  for (int i = 0; i < kConvShapeFields; i++) {
    const bool isPadding = i >= 11 && i <= 14;  // the bottom/right padding may be negative (see ConvShape)
    if (!isPadding && ints.data[i] < 1) throw ArgumentError("conv shape field " + std::to_string(i) + " must be >= 1");
  }
  return s;
}

size_t inputSize(const ConvShape& s) { return product({s.batch, s.inH, s.inW, s.inC}); }
size_t outputSize(const ConvShape& s) { return product({s.batch, s.outH, s.outW, s.outC}); }
size_t filterSize(const ConvShape& s) { return product({s.kH, s.kW, s.inC, s.outC}); }

// The team of a call whose values may depend on the thread count (a sum split between
// threads), fixed by its size so that they never depend on timing: every thread from this
// much work (elements read and written; see parallel.h: below it the kernel runs on one
// thread anyway, and one thread leaves the other free for other calls).
Team teamForElements(size_t elements) { return static_cast<int64_t>(elements) >= kParallelMinElements ? Team::All : Team::One; }

// The team of an element-wise call (its values the same on any number of threads), by the
// same rule: every thread from this much work (a paper-preset Adam update, its largest
// activations), else every thread when alone, one beside other calls.
constexpr int64_t kWholeTeamElements = 16 * kParallelMinElements;
Team teamForElementsAny(size_t elements) { return static_cast<int64_t>(elements) >= kWholeTeamElements ? Team::All : Team::Any; }

// The same for convolution passes and matrix products, by floating-point operations.
constexpr double kWholeTeamFlops = 2e9;
Team teamForFlops(double flops) { return flops >= kWholeTeamFlops ? Team::All : Team::One; }
// A pass whose values do not depend on the thread count runs on every thread when that
// large (well shared out between threads); a smaller one on every thread when alone, on
// one beside other calls. With the largest passes side by side too, a paper-preset step
// took 3.0-4.2 s instead of 2.7-3.2 (fresh processes taken in turn, 2 pairs).
Team teamForFlopsAny(double flops) { return flops >= kWholeTeamFlops ? Team::All : Team::Any; }

// One kernel call on its way to the workers (executor.h): the arrays it reads and
// writes, each kept alive until the call has run. Arguments are read and checked here,
// on the JavaScript thread; the work itself runs later, so it must capture copies of
// everything it needs, never a pointer into an argument array JavaScript may reuse.
class Call {
 public:
  // `name`: the kernel's, for error messages (a string literal)
  Call(napi_env env, const char* name) : env_(env), name_(name) {}
  ~Call() {
    for (napi_ref ref : work_.keep) napi_delete_reference(env_, ref);
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  TypedView<float> in(napi_value value, const char* name) { return track(value, name, work_.reads); }
  TypedView<float> out(napi_value value, const char* name) { return track(value, name, work_.writes); }
  // The Float32Arrays of a JavaScript array, read or written.
  std::vector<TypedView<float>> ins(napi_value array, const char* name) { return trackAll(array, name, work_.reads); }
  std::vector<TypedView<float>> outs(napi_value array, const char* name) { return trackAll(array, name, work_.writes); }
  // Float32Array arguments args.values[first + k], each checked against its expected
  // length: read up to index `firstOutput` of `names`, written from there on.
  std::vector<float*> arguments(const Args& args, size_t first, std::initializer_list<const char*> names,
                                std::initializer_list<size_t> lengths, size_t firstOutput) {
    if (names.size() != lengths.size()) throw std::logic_error("Call::arguments: a length for every name");
    std::vector<float*> data;
    auto length = lengths.begin();
    for (const char* name : names) {
      const size_t k = data.size();
      const auto view = k < firstOutput ? in(args.values[first + k], name) : out(args.values[first + k], name);
      expectLength(view, *length++, name);
      data.push_back(view.data);
    }
    return data;
  }

  // Passes that use a filter's converted copies read its key; forgetting them writes it.
  void readsFilterKey(int64_t key) {
    if (key != kNoFilterKey) work_.reads.push_back(filterKeyAddress(key));
  }
  void writesFilterKey(int64_t key) {
    if (key != kNoFilterKey) work_.writes.push_back(filterKeyAddress(key));
  }

  // Queues `body` to run on `team`.
  void run(Team team, std::function<void()> body) {
    Work work = std::move(work_);
    work_ = Work{};
    work.run = std::move(body);
    work.team = team;
    work.name = name_;
    submitWork(env_, std::move(work));
  }

 private:
  TypedView<float> track(napi_value value, const char* name, std::vector<const void*>& accesses) {
    const auto view = float32Array(env_, value, name);
    napi_ref ref;
    if (napi_create_reference(env_, value, 1, &ref) != napi_ok) throw ArgumentError(std::string("cannot keep ") + name);
    work_.keep.push_back(ref);
    if (view.length > 0) accesses.push_back(view.data);
    return view;
  }

  std::vector<TypedView<float>> trackAll(napi_value array, const char* name, std::vector<const void*>& accesses) {
    uint32_t count = 0;
    if (napi_get_array_length(env_, array, &count) != napi_ok) throw ArgumentError(std::string(name) + " must be an array");
    std::vector<TypedView<float>> views;
    for (uint32_t k = 0; k < count; k++) {
      napi_value element;
      if (napi_get_element(env_, array, k, &element) != napi_ok) throw ArgumentError(std::string("cannot read an element of ") + name);
      views.push_back(track(element, name, accesses));
    }
    return views;
  }

  napi_env env_;
  const char* name_;
  Work work_;
};

// conv2dSupported(pass: 0 forward | 1 input gradient | 2 filter gradient, shape): whether
// the addon computes that pass of that convolution (prepares it on the first call)
napi_value Conv2dSupported(napi_env env, napi_callback_info info) {
  Args args(env, info, 2);
  const int32_t pass = int32Value(env, args.values[0], "pass");
  if (pass < 0 || pass > 2) throw ArgumentError("pass must be 0, 1 or 2");
  const ConvShape s = readConvShape(env, args.values[1]);
  napi_value out;
  napi_get_boolean(env, conv2dSupported(static_cast<ConvPass>(pass), s), &out);
  return out;
}

// A count or size as a JavaScript number (exact up to 2^53).
napi_value countValue(napi_env env, int64_t count) {
  napi_value out;
  napi_create_double(env, static_cast<double>(count), &out);
  return out;
}

// A filter key from JavaScript: 0 (none) or a positive integer (see conv.h).
int64_t readFilterKey(napi_env env, napi_value value) {
  const double key = doubleValue(env, value, "filter key");
  if (!(key >= 0 && key <= 9007199254740991.0 && key == static_cast<double>(static_cast<int64_t>(key)))) {
    throw ArgumentError("filter key must be a non-negative integer");
  }
  return static_cast<int64_t>(key);
}

// conv2dForward(shape: Int32Array, x, w, bias: Float32Array | null, y: Float32Array, filterKey):
// y = conv(x, w) (+ bias[outC] on every position)
napi_value Conv2dForward(napi_env env, napi_callback_info info) {
  Args args(env, info, 6);
  const ConvShape s = readConvShape(env, args.values[0]);
  Call call(env, "conv2dForward");
  const auto x = call.in(args.values[1], "x");
  const auto w = call.in(args.values[2], "filter");
  const bool hasBias = !isNull(env, args.values[3]);
  const auto bias = hasBias ? call.in(args.values[3], "bias") : TypedView<float>{nullptr, 0};
  const auto y = call.out(args.values[4], "y");
  expectLength(x, inputSize(s), "x");
  expectLength(w, filterSize(s), "filter");
  if (hasBias) expectLength(bias, static_cast<size_t>(s.outC), "bias");
  expectLength(y, outputSize(s), "y");
  const int64_t key = readFilterKey(env, args.values[5]);
  call.readsFilterKey(key);
  call.run(teamForFlopsAny(convPassFlops(s)), [=] { conv2dForward(s, x.data, w.data, bias.data, y.data, key); });
  return nullptr;
}

// conv2dBackwardData(shape, dy, w, dx, filterKey): dx = d(conv)/dx applied to dy
napi_value Conv2dBackwardData(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  const ConvShape s = readConvShape(env, args.values[0]);
  Call call(env, "conv2dBackwardData");
  const auto dy = call.in(args.values[1], "dy");
  const auto w = call.in(args.values[2], "filter");
  const auto dx = call.out(args.values[3], "dx");
  expectLength(dy, outputSize(s), "dy");
  expectLength(w, filterSize(s), "filter");
  expectLength(dx, inputSize(s), "dx");
  const int64_t key = readFilterKey(env, args.values[4]);
  call.readsFilterKey(key);
  call.run(teamForFlopsAny(convPassFlops(s)), [=] { conv2dBackwardData(s, dy.data, w.data, dx.data, key); });
  return nullptr;
}

// forgetFilter(filterKey): drops that filter's converted copies (0: all of them)
napi_value ForgetFilter(napi_env env, napi_callback_info info) {
  Args args(env, info, 1);
  const int64_t key = readFilterKey(env, args.values[0]);
  FilterStore& store = filterStore(env);
  if (key == kNoFilterKey) {
    finishWork(env);
    store.forgetAll();
  } else {
    Call call(env, "forgetFilter");
    call.writesFilterKey(key);
    call.run(Team::One, [&store, key] { store.forget(key); });
  }
  return nullptr;
}

// filterConversions(): the count of filter conversions once queued calls have run (conv.h)
napi_value FilterConversions(napi_env env, napi_callback_info info) {
  Args args(env, info, 0);
  finishWork(env);
  return countValue(env, filterStore(env).conversions());
}

// keptFilters(): the count of filter keys with converted copies once queued calls have run (conv.h)
napi_value KeptFilters(napi_env env, napi_callback_info info) {
  Args args(env, info, 0);
  finishWork(env);
  return countValue(env, filterStore(env).kept());
}

// conv2dBackwardWeights(shape, x, dy, dw): dw = d(conv)/dw applied to dy
napi_value Conv2dBackwardWeights(napi_env env, napi_callback_info info) {
  Args args(env, info, 4);
  const ConvShape s = readConvShape(env, args.values[0]);
  Call call(env, "conv2dBackwardWeights");
  const auto x = call.in(args.values[1], "x");
  const auto dy = call.in(args.values[2], "dy");
  const auto dw = call.out(args.values[3], "dw");
  expectLength(x, inputSize(s), "x");
  expectLength(dy, outputSize(s), "dy");
  expectLength(dw, filterSize(s), "dw");
  call.run(teamForFlops(convPassFlops(s)), [=] { conv2dBackwardWeights(s, x.data, dy.data, dw.data); });
  return nullptr;
}

// batchMatMul(shape: Int32Array [batchA, batchB, m, n, k, transposeA, transposeB], a, b, c)
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  Args args(env, info, 4);
  const auto dims = int32Array(env, args.values[0], "matmul shape");
  expectLength(dims, 7, "matmul shape");
  const GemmShape s{dims.data[0], dims.data[1], dims.data[2], dims.data[3], dims.data[4], dims.data[5] != 0,
                      dims.data[6] != 0};
  for (int i = 0; i < 5; i++) {
    if (dims.data[i] < 1) throw ArgumentError("matmul shape field " + std::to_string(i) + " must be >= 1");
  }
  if (s.batchA != s.batchB && s.batchA != 1 && s.batchB != 1) throw ArgumentError("matmul batches must match or be 1");
  Call call(env, "batchMatMul");
  const auto a = call.in(args.values[1], "a");
  const auto b = call.in(args.values[2], "b");
  const auto c = call.out(args.values[3], "c");
  expectLength(a, product({s.batchA, s.m, s.k}), "a");
  expectLength(b, product({s.batchB, s.k, s.n}), "b");
  expectLength(c, product({std::max(s.batchA, s.batchB), s.m, s.n}), "c");
  const double flops = 2.0 * std::max(s.batchA, s.batchB) * s.m * s.n * s.k;
  call.run(teamForFlops(flops), [=] { gemm(s, a.data, b.data, c.data); });
  return nullptr;
}

size_t product(const int* dims, int rank) {
  size_t n = 1;
  for (int i = 0; i < rank; i++) n *= static_cast<size_t>(dims[i]);
  return n;
}

// An Int32Array [rank, then `groups` blocks of rank ints]; returns rank and checks the length.
int readRanked(const TypedView<int32_t>& ints, int groups, const char* name) {
  if (ints.length < 1 || ints.data[0] < 0 || ints.length != 1 + static_cast<size_t>(groups) * ints.data[0]) {
    throw ArgumentError(std::string(name) + " must be [rank, then " + std::to_string(groups) + " x rank ints]");
  }
  for (size_t i = 1; i < ints.length; i++) {
    if (ints.data[i] < 0) throw ArgumentError(std::string(name) + " holds a negative value");
  }
  return ints.data[0];
}

// binary(op, shapes: Int32Array [rank, out..., a..., b...], a, b, out): out = a op b, broadcast
napi_value Binary(napi_env env, napi_callback_info info) {
  Args args(env, info, 5);
  const int32_t op = int32Value(env, args.values[0], "op");
  if (op < 0 || op >= kBinaryOps) throw ArgumentError("unknown binary op " + std::to_string(op));
  const auto shapes = int32Array(env, args.values[1], "shapes");
  const int rank = readRanked(shapes, 3, "shapes");
  if (rank > kMaxRank) throw ArgumentError("rank above " + std::to_string(kMaxRank));
  const int* outShape = shapes.data + 1;
  const int* aShape = outShape + rank;
  const int* bShape = aShape + rank;
  for (int i = 0; i < rank; i++) {
    if ((aShape[i] != outShape[i] && aShape[i] != 1) || (bShape[i] != outShape[i] && bShape[i] != 1)) {
      throw ArgumentError("operand shapes do not broadcast to the output shape");
    }
  }
  Call call(env, "binary");
  const auto a = call.in(args.values[2], "a");
  const auto b = call.in(args.values[3], "b");
  const auto out = call.out(args.values[4], "out");
  expectLength(a, product(aShape, rank), "a");
  expectLength(b, product(bShape, rank), "b");
  expectLength(out, product(outShape, rank), "out");
  if (out.length == 0) return nullptr;
  const std::vector<int> dims(shapes.data + 1, shapes.data + 1 + 3 * rank);  // the caller reuses its array
  call.run(teamForElementsAny(a.length + b.length + out.length), [=] {
    binaryBroadcast(static_cast<BinaryOp>(op), rank, dims.data(), a.data, dims.data() + rank, b.data, dims.data() + 2 * rank, out.data);
  });
  return nullptr;
}

// broadcast(shapes: Int32Array [rank, out..., x...], x, out): x repeated to out's shape
napi_value Broadcast(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  const auto shapes = int32Array(env, args.values[0], "shapes");
  const int rank = readRanked(shapes, 2, "shapes");
  if (rank > kMaxRank) throw ArgumentError("rank above " + std::to_string(kMaxRank));
  const int* outShape = shapes.data + 1;
  const int* xShape = outShape + rank;
  for (int i = 0; i < rank; i++) {
    if (xShape[i] != outShape[i] && xShape[i] != 1) throw ArgumentError("x does not broadcast to the output shape");
  }
  Call call(env, "broadcast");
  const auto x = call.in(args.values[1], "x");
  const auto out = call.out(args.values[2], "out");
  expectLength(x, product(xShape, rank), "x");
  expectLength(out, product(outShape, rank), "out");
  if (out.length == 0) return nullptr;
  const std::vector<int> dims(shapes.data + 1, shapes.data + 1 + 2 * rank);
  call.run(teamForElementsAny(x.length + out.length), [=] { broadcastTo(rank, dims.data(), x.data, dims.data() + rank, out.data); });
  return nullptr;
}

// unary(op, x, out): out = f(x) element by element
napi_value Unary(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  const int32_t op = int32Value(env, args.values[0], "op");
  if (op < 0 || op >= kUnaryOps) throw ArgumentError("unknown unary op " + std::to_string(op));
  Call call(env, "unary");
  const auto x = call.in(args.values[1], "x");
  const auto out = call.out(args.values[2], "out");
  expectLength(out, x.length, "out");
  call.run(teamForElementsAny(2 * x.length), [=] { unary(static_cast<UnaryOp>(op), x.data, out.data, static_cast<int64_t>(x.length)); });
  return nullptr;
}

// step(alpha, x, out): out = 1 where x > 0, alpha elsewhere (NaN stays NaN)
napi_value Step(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  const float alpha = static_cast<float>(doubleValue(env, args.values[0], "alpha"));
  Call call(env, "step");
  const auto x = call.in(args.values[1], "x");
  const auto out = call.out(args.values[2], "out");
  expectLength(out, x.length, "out");
  call.run(teamForElementsAny(2 * x.length), [=] { step(x.data, out.data, static_cast<int64_t>(x.length), alpha); });
  return nullptr;
}

// reduceSum(shapeAndFlags: Int32Array [rank, shape..., reduced...], mean: 0|1, x, out)
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  Args args(env, info, 4);
  const auto ints = int32Array(env, args.values[0], "shape and flags");
  const int rank = readRanked(ints, 2, "shape and flags");
  const int* shape = ints.data + 1;
  const int* reduced = shape + rank;
  const bool mean = int32Value(env, args.values[1], "mean") != 0;
  Call call(env, "reduceSum");
  const auto x = call.in(args.values[2], "x");
  const auto out = call.out(args.values[3], "out");
  expectLength(x, product(shape, rank), "x");
  size_t kept = 1;
  for (int d = 0; d < rank; d++) {
    if (reduced[d] == 0) kept *= static_cast<size_t>(shape[d]);
  }
  expectLength(out, kept, "out");
  if (x.length == 0) return nullptr;
  const std::vector<int> dims(shape, shape + 2 * rank);
  call.run(teamForElements(x.length), [=] { reduceSum(x.data, rank, dims.data(), dims.data() + rank, mean, out.data); });
  return nullptr;
}

// transpose(shapeAndPerm: Int32Array [rank, shape..., perm...], x, out)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  const auto ints = int32Array(env, args.values[0], "shape and permutation");
  const int rank = readRanked(ints, 2, "shape and permutation");
  const int* shape = ints.data + 1;
  const int* perm = shape + rank;
  std::vector<bool> seen(rank, false);
  for (int i = 0; i < rank; i++) {
    if (perm[i] >= rank || seen[perm[i]]) throw ArgumentError("not a permutation");
    seen[perm[i]] = true;
  }
  Call call(env, "transpose");
  const auto x = call.in(args.values[1], "x");
  const auto out = call.out(args.values[2], "out");
  expectLength(x, product(shape, rank), "x");
  expectLength(out, x.length, "out");
  if (x.length == 0) return nullptr;
  const std::vector<int> dims(shape, shape + 2 * rank);
  call.run(teamForElementsAny(2 * x.length), [=] { transpose(x.data, rank, dims.data(), dims.data() + rank, out.data); });
  return nullptr;
}

// Parts of `rows` rows each: their data and widths.
void readParts(const std::vector<TypedView<float>>& views, int64_t rows, std::vector<float*>& data, std::vector<int64_t>& widths) {
  for (const auto& part : views) {
    if (part.length % rows != 0) throw ArgumentError("a part's size is not a multiple of the row count");
    data.push_back(part.data);
    widths.push_back(static_cast<int64_t>(part.length) / rows);
  }
}

// concat(parts: Float32Array[], rows, out): out's rows are the parts' rows side by side
napi_value Concat(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  const int32_t rows = int32Value(env, args.values[1], "rows");
  if (rows < 1) throw ArgumentError("rows must be >= 1");
  Call call(env, "concat");
  std::vector<float*> parts;
  std::vector<int64_t> widths;
  readParts(call.ins(args.values[0], "parts"), rows, parts, widths);
  const auto out = call.out(args.values[2], "out");
  size_t total = 0;
  for (int64_t w : widths) total += static_cast<size_t>(w) * rows;
  expectLength(out, total, "out");
  call.run(teamForElementsAny(2 * total), [=] { concatRows(parts.data(), widths.data(), static_cast<int>(parts.size()), rows, out.data); });
  return nullptr;
}

// split(x, rows, parts: Float32Array[]): the inverse of concat
napi_value Split(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  Call call(env, "split");
  const auto x = call.in(args.values[0], "x");
  const int32_t rows = int32Value(env, args.values[1], "rows");
  if (rows < 1) throw ArgumentError("rows must be >= 1");
  std::vector<float*> parts;
  std::vector<int64_t> widths;
  readParts(call.outs(args.values[2], "parts"), rows, parts, widths);
  size_t total = 0;
  for (int64_t w : widths) total += static_cast<size_t>(w) * rows;
  expectLength(x, total, "x");
  call.run(teamForElementsAny(2 * total), [=] { splitRows(x.data, widths.data(), static_cast<int>(parts.size()), rows, parts.data()); });
  return nullptr;
}

// adam(params, m, v, grads, paramsOut, mOut, vOut: Float32Array[], step: Float32Array
// [beta1, beta2, eps, stepSize, sqrtBiasCorrection2]): one Adam update of every tensor
napi_value Adam(napi_env env, napi_callback_info info) {
  Args args(env, info, 8);
  const char* names[7] = {"params", "m", "v", "grads", "paramsOut", "mOut", "vOut"};
  Call call(env, "adam");
  std::vector<TypedView<float>> lists[7];
  for (int k = 0; k < 7; k++) lists[k] = k < 4 ? call.ins(args.values[k], names[k]) : call.outs(args.values[k], names[k]);
  const auto hyper = float32Array(env, args.values[7], "step");
  expectLength(hyper, 5, "step");
  std::vector<AdamTensor> tensors;
  size_t elements = 0;
  for (size_t i = 0; i < lists[0].size(); i++) {
    const size_t size = lists[0][i].length;
    for (int k = 1; k < 7; k++) {
      if (lists[k].size() != lists[0].size()) throw ArgumentError(std::string(names[k]) + " and params differ in count");
      expectLength(lists[k][i], size, names[k]);
    }
    tensors.push_back({lists[0][i].data, lists[1][i].data, lists[2][i].data, lists[3][i].data, lists[4][i].data,
                       lists[5][i].data, lists[6][i].data, static_cast<int64_t>(size)});
    elements += 7 * size;
  }
  const AdamStep step{hyper.data[0], hyper.data[1], hyper.data[2], hyper.data[3], hyper.data[4]};
  call.run(teamForElementsAny(elements), [=] { adamUpdate(tensors.data(), static_cast<int>(tensors.size()), step); });
  return nullptr;
}

// The GLU's output channels and the row count of its input x (rows of 2 * channels values).
struct GluShape {
  int64_t rows, channels;
};
GluShape readGluShape(napi_env env, napi_value channels, const TypedView<float>& x) {
  const int32_t c = int32Value(env, channels, "channels");
  if (c < 1) throw ArgumentError("channels must be >= 1");
  if (x.length % (2 * size_t(c)) != 0) throw ArgumentError("x's size is not a multiple of 2 * channels");
  return {static_cast<int64_t>(x.length / (2 * size_t(c))), c};
}

// glu(channels, x, out): out = first half of x's channels * sigmoid(second half)
napi_value Glu(napi_env env, napi_callback_info info) {
  Args args(env, info, 3);
  Call call(env, "glu");
  const auto x = call.in(args.values[1], "x");
  const auto out = call.out(args.values[2], "out");
  const GluShape sh = readGluShape(env, args.values[0], x);
  expectLength(out, size_t(sh.rows * sh.channels), "out");
  call.run(teamForElementsAny(x.length + out.length), [=] { glu(x.data, out.data, sh.rows, sh.channels); });
  return nullptr;
}

// gluGrad(channels, dy, x, dx)
napi_value GluGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 4);
  Call call(env, "gluGrad");
  const auto dy = call.in(args.values[1], "dy");
  const auto x = call.in(args.values[2], "x");
  const auto dx = call.out(args.values[3], "dx");
  const GluShape sh = readGluShape(env, args.values[0], x);
  expectLength(dy, size_t(sh.rows * sh.channels), "dy");
  expectLength(dx, x.length, "dx");
  call.run(teamForElementsAny(dy.length + x.length + dx.length), [=] { gluGrad(dy.data, x.data, dx.data, sh.rows, sh.channels); });
  return nullptr;
}

// The [N, S, C] shape of an instance norm's data, checked.
struct NormShape {
  int n;
  int64_t s;
  int c;
};
NormShape readNormShape(napi_env env, napi_value value) {
  const auto dims = int32Array(env, value, "norm shape");
  expectLength(dims, 3, "norm shape");
  if (dims.data[0] < 1 || dims.data[1] < 1 || dims.data[2] < 1) throw ArgumentError("norm shape entries must be >= 1");
  return {dims.data[0], dims.data[1], dims.data[2]};
}

// instanceNorm(shape [N, S, C], eps, x, gamma, beta, y, mean, rstd)
napi_value InstanceNorm(napi_env env, napi_callback_info info) {
  Args args(env, info, 8);
  const NormShape sh = readNormShape(env, args.values[0]);
  const float eps = static_cast<float>(doubleValue(env, args.values[1], "eps"));
  Call call(env, "instanceNorm");
  const auto x = call.in(args.values[2], "x");
  const auto gamma = call.in(args.values[3], "gamma");
  const auto beta = call.in(args.values[4], "beta");
  const auto y = call.out(args.values[5], "y");
  const auto mean = call.out(args.values[6], "mean");
  const auto rstd = call.out(args.values[7], "rstd");
  const size_t size = size_t(sh.n) * sh.s * sh.c, stats = size_t(sh.n) * sh.c;
  expectLength(x, size, "x");
  expectLength(y, size, "y");
  expectLength(gamma, sh.c, "gamma");
  expectLength(beta, sh.c, "beta");
  expectLength(mean, stats, "mean");
  expectLength(rstd, stats, "rstd");
  call.run(teamForElementsAny(2 * size), [=] { instanceNormForward(sh.n, sh.s, sh.c, x.data, gamma.data, beta.data, eps, y.data, mean.data, rstd.data); });
  return nullptr;
}

// instanceNormGrad(shape [N, S, C], dy, x, gamma, mean, rstd, dx, dgamma, dbeta)
napi_value InstanceNormGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 9);
  const NormShape sh = readNormShape(env, args.values[0]);
  const size_t size = size_t(sh.n) * sh.s * sh.c, stats = size_t(sh.n) * sh.c, c = size_t(sh.c);
  Call call(env, "instanceNormGrad");
  const auto d = call.arguments(args, 1, {"dy", "x", "gamma", "mean", "rstd", "dx", "dgamma", "dbeta"},
                                {size, size, c, stats, stats, size, c, c}, 5);
  call.run(teamForElementsAny(3 * size), [=] { instanceNormBackward(sh.n, sh.s, sh.c, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]); });
  return nullptr;
}

// The shape [N, S, 2C] of an instance norm + GLU's input (an even channel count).
NormShape readNormGluShape(napi_env env, napi_value value) {
  const NormShape sh = readNormShape(env, value);
  if (sh.c % 2 != 0) throw ArgumentError("instance norm + GLU needs an even channel count, got " + std::to_string(sh.c));
  return sh;
}

// instanceNormGlu(shape [N, S, 2C], eps, x, gamma, beta, out, mean, rstd): out [N, S, C]
napi_value InstanceNormGlu(napi_env env, napi_callback_info info) {
  Args args(env, info, 8);
  const NormShape sh = readNormGluShape(env, args.values[0]);
  const float eps = static_cast<float>(doubleValue(env, args.values[1], "eps"));
  const size_t size = size_t(sh.n) * sh.s * sh.c, stats = size_t(sh.n) * sh.c, c = size_t(sh.c);
  Call call(env, "instanceNormGlu");
  const auto d = call.arguments(args, 2, {"x", "gamma", "beta", "out", "mean", "rstd"}, {size, c, c, size / 2, stats, stats}, 3);
  call.run(teamForElementsAny(size + size / 2), [=] { instanceNormGluForward(sh.n, sh.s, sh.c / 2, d[0], d[1], d[2], eps, d[3], d[4], d[5]); });
  return nullptr;
}

// instanceNormGluGrad(shape [N, S, 2C], dy, x, gamma, beta, mean, rstd, dx, dgamma, dbeta)
napi_value InstanceNormGluGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 10);
  const NormShape sh = readNormGluShape(env, args.values[0]);
  const size_t size = size_t(sh.n) * sh.s * sh.c, stats = size_t(sh.n) * sh.c, c = size_t(sh.c);
  Call call(env, "instanceNormGluGrad");
  const auto d = call.arguments(args, 1, {"dy", "x", "gamma", "beta", "mean", "rstd", "dx", "dgamma", "dbeta"},
                                {size / 2, size, c, c, stats, stats, size, c, c}, 6);
  call.run(teamForElementsAny(size / 2 + 2 * size), [=] {
    instanceNormGluBackward(sh.n, sh.s, sh.c / 2, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8]);
  });
  return nullptr;
}

// [N, H, W, C, kH, kW, padTop, padBottom, padLeft, padRight]: a residual block whose
// convolutions keep the spatial size
ResidualShape readResidualShape(napi_env env, napi_value value) {
  const auto v = int32Array(env, value, "residual shape");
  expectLength(v, 10, "residual shape");
  const ResidualShape s{v.data[0], v.data[1], v.data[2], v.data[3], v.data[4],
                        v.data[5], v.data[6], v.data[7], v.data[8], v.data[9]};
  if (s.n < 1 || s.h < 1 || s.w < 1 || s.c < 1 || s.kH < 1 || s.kW < 1) throw ArgumentError("residual shape sizes must be >= 1");
  if (s.padTop < 0 || s.padBottom < 0 || s.padLeft < 0 || s.padRight < 0) throw ArgumentError("residual padding must be >= 0");
  if (s.padTop + s.padBottom + 1 != s.kH || s.padLeft + s.padRight + 1 != s.kW) {
    throw ArgumentError("a residual block's padding must keep the spatial size (pads + 1 = kernel)");
  }
  return s;
}

// The floating-point operations of a residual block's forward pass (its two convolutions).
double residualFlops(const ResidualShape& s) { return convPassFlops(residualConv1(s)) + convPassFlops(residualConv2(s)); }

// residualBlock(shape, eps, key1, key2, x, w1, b1, g1, be1, w2, b2, g2, be2, y, workspace)
napi_value ResidualBlock(napi_env env, napi_callback_info info) {
  Args args(env, info, 15);
  const ResidualShape s = readResidualShape(env, args.values[0]);
  const float eps = static_cast<float>(doubleValue(env, args.values[1], "eps"));
  const int64_t key1 = readFilterKey(env, args.values[2]), key2 = readFilterKey(env, args.values[3]);
  const size_t act = size_t(s.n) * s.h * s.w * s.c, c = size_t(s.c), k = size_t(s.kH) * s.kW;
  Call call(env, "residualBlock");
  const auto d = call.arguments(args, 4, {"x", "w1", "b1", "g1", "be1", "w2", "b2", "g2", "be2", "y", "workspace"},
                                {act, k * c * 2 * c, 2 * c, 2 * c, 2 * c, k * c * c, c, c, c, act,
                                 size_t(residualWorkspaceSize(s))}, 9);
  call.readsFilterKey(key1);
  call.readsFilterKey(key2);
  const ResidualWeights p{d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], key1, key2};
  call.run(teamForFlopsAny(residualFlops(s)), [=] { residualForward(s, d[0], p, eps, d[9], d[10]); });
  return nullptr;
}

// residualBlockGrad(shape, key1, key2, dy, x, w1, g1, be1, w2, g2, workspace,
//                   dx, dw1, db1, dg1, dbe1, dw2, db2, dg2, dbe2)
napi_value ResidualBlockGrad(napi_env env, napi_callback_info info) {
  Args args(env, info, 20);
  const ResidualShape s = readResidualShape(env, args.values[0]);
  const int64_t key1 = readFilterKey(env, args.values[1]), key2 = readFilterKey(env, args.values[2]);
  const size_t act = size_t(s.n) * s.h * s.w * s.c, c = size_t(s.c), k = size_t(s.kH) * s.kW;
  Call call(env, "residualBlockGrad");
  const auto d = call.arguments(
      args, 3,
      {"dy", "x", "w1", "g1", "be1", "w2", "g2", "workspace", "dx", "dw1", "db1", "dg1", "dbe1", "dw2", "db2", "dg2", "dbe2"},
      {act, act, k * c * 2 * c, 2 * c, 2 * c, k * c * c, c, size_t(residualWorkspaceSize(s)), act, k * c * 2 * c, 2 * c,
       2 * c, 2 * c, k * c * c, c, c, c}, 8);
  call.readsFilterKey(key1);
  call.readsFilterKey(key2);
  const ResidualWeights p{d[2], nullptr, d[3], d[4], d[5], nullptr, d[6], nullptr, key1, key2};
  const ResidualGradients g{d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]};
  call.run(teamForFlops(3 * residualFlops(s)), [=] { residualBackward(s, d[0], d[1], p, d[7], g); });
  return nullptr;
}

// residualWorkspaceSize(shape): the floats residualBlock's workspace holds (residual.h)
napi_value ResidualWorkspaceSize(napi_env env, napi_callback_info info) {
  Args args(env, info, 1);
  return countValue(env, residualWorkspaceSize(readResidualShape(env, args.values[0])));
}

// residualSupported(shape): whether every pass of both convolutions runs natively (see
// conv2dSupported); if not, the block must run layer by layer
napi_value ResidualSupported(napi_env env, napi_callback_info info) {
  Args args(env, info, 1);
  const ResidualShape s = readResidualShape(env, args.values[0]);
  bool ok = true;
  for (const ConvShape& conv : {residualConv1(s), residualConv2(s)}) {
    for (const ConvPass pass : {ConvPass::Forward, ConvPass::BackwardData, ConvPass::BackwardWeights}) ok = ok && conv2dSupported(pass, conv);
  }
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args args(env, info, 1);
  const int32_t n = int32Value(env, args.values[0], "threads");
  if (n < 1) throw ArgumentError("threads must be >= 1");
  setWorkerThreads(env, n);
  return nullptr;
}

napi_value SetVectorLevel(napi_env env, napi_callback_info info) {
  Args args(env, info, 1);
  const int32_t level = int32Value(env, args.values[0], "level");
  finishWork(env);  // queued calls run at the level they were made under
  try {
    setThinConvVectorLevel(level);
  } catch (const std::invalid_argument& e) {
    throw ArgumentError(e.what());
  }
  return nullptr;
}

napi_value VectorLevel(napi_env env, napi_callback_info info) {
  Args args(env, info, 0);
  napi_value out;
  napi_create_int32(env, thinConvVectorLevel(), &out);
  return out;
}

napi_value Threads(napi_env env, napi_callback_info info) {
  Args args(env, info, 0);
  napi_value out;
  napi_create_int32(env, workerThreads(env), &out);
  return out;
}

// busy(buffer): whether queued calls still read or write the buffer (it may not be
// reused for another output until they have run)
napi_value Busy(napi_env env, napi_callback_info info) {
  Args args(env, info, 1);
  napi_value out;
  napi_get_boolean(env, workPending(env, float32Array(env, args.values[0], "buffer").data), &out);
  return out;
}

// workTimes(): { kernel name: thread-milliseconds the workers have spent running its
// calls so far } (executor.h)
napi_value WorkTimes(napi_env env, napi_callback_info info) {
  Args args(env, info, 0);
  napi_value out;
  napi_create_object(env, &out);
  for (const auto& [name, ms] : workMilliseconds(env)) {
    napi_value value;
    napi_create_double(env, ms, &value);
    napi_set_named_property(env, out, name, value);
  }
  return out;
}

// sync(): waits until every queued kernel call has run (their outputs may be read);
// throws the first error among them
napi_value Sync(napi_env env, napi_callback_info info) {
  Args args(env, info, 0);
  finishWork(env);
  return nullptr;
}

// "oneDNN 2.6.3 (cpu runtime: OpenMP)"
napi_value Library(napi_env env, napi_callback_info info) {
  Args args(env, info, 0);
  const dnnl_version_t* v = dnnl_version();
  const std::string text = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                           std::to_string(v->patch) + (v->cpu_runtime == DNNL_RUNTIME_OMP ? " (OpenMP)" : "");
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

// Turns C++ exceptions into JavaScript ones: a bad argument is a TypeError, a library
// failure an Error naming oneDNN.
template <napi_value (*F)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    return F(env, info);
  } catch (const ArgumentError& e) {
    napi_throw_type_error(env, nullptr, e.what());
  } catch (const dnnl::error& e) {
    napi_throw_error(env, nullptr, (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"conv2dSupported", nullptr, guarded<Conv2dSupported>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dForward", nullptr, guarded<Conv2dForward>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackwardData", nullptr, guarded<Conv2dBackwardData>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"forgetFilter", nullptr, guarded<ForgetFilter>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"filterConversions", nullptr, guarded<FilterConversions>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"keptFilters", nullptr, guarded<KeptFilters>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackwardWeights", nullptr, guarded<Conv2dBackwardWeights>, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"binary", nullptr, guarded<Binary>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"broadcast", nullptr, guarded<Broadcast>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unary", nullptr, guarded<Unary>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"step", nullptr, guarded<Step>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reduceSum", nullptr, guarded<ReduceSum>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"transpose", nullptr, guarded<Transpose>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"concat", nullptr, guarded<Concat>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"split", nullptr, guarded<Split>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchMatMul", nullptr, guarded<BatchMatMul>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"glu", nullptr, guarded<Glu>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gluGrad", nullptr, guarded<GluGrad>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"instanceNorm", nullptr, guarded<InstanceNorm>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"instanceNormGrad", nullptr, guarded<InstanceNormGrad>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"instanceNormGlu", nullptr, guarded<InstanceNormGlu>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"instanceNormGluGrad", nullptr, guarded<InstanceNormGluGrad>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adam", nullptr, guarded<Adam>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"residualBlock", nullptr, guarded<ResidualBlock>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"residualBlockGrad", nullptr, guarded<ResidualBlockGrad>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"residualSupported", nullptr, guarded<ResidualSupported>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"residualWorkspaceSize", nullptr, guarded<ResidualWorkspaceSize>, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"setThreads", nullptr, guarded<SetThreads>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"threads", nullptr, guarded<Threads>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setVectorLevel", nullptr, guarded<SetVectorLevel>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"vectorLevel", nullptr, guarded<VectorLevel>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"library", nullptr, guarded<Library>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"busy", nullptr, guarded<Busy>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"workTimes", nullptr, guarded<WorkTimes>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sync", nullptr, guarded<Sync>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}

}  // namespace
}  // namespace voiceswap

NAPI_MODULE(NODE_GYP_MODULE_NAME, voiceswap::Init)
