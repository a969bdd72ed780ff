// Reading and checking JavaScript arguments with Node-API. Every helper throws a C++
// ArgumentError that the binding turns into a JavaScript TypeError.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace voiceswap {

struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
struct TypedView {
  T* data;
  size_t length;
};

// The callback's arguments; throws unless there are exactly `expected`.
struct Args {
  static constexpr size_t kMax = 24;
  napi_value values[kMax];
  size_t count = kMax;
  Args(napi_env env, napi_callback_info info, size_t expected);
};

TypedView<float> float32Array(napi_env env, napi_value value, const char* name);
TypedView<int32_t> int32Array(napi_env env, napi_value value, const char* name);
int32_t int32Value(napi_env env, napi_value value, const char* name);
double doubleValue(napi_env env, napi_value value, const char* name);
// Whether `value` is JavaScript null (an optional argument left out).
bool isNull(napi_env env, napi_value value);

// Throws unless `view` holds exactly `expected` elements (the kernels write without bounds checks).
template <typename T>
void expectLength(const TypedView<T>& view, size_t expected, const char* name) {
  if (view.length != expected) {
    throw ArgumentError(std::string(name) + " has " + std::to_string(view.length) + " elements, expected " +
                        std::to_string(expected));
  }
}

}  // namespace voiceswap
