#include "napi_args.h"

namespace voiceswap {

namespace {

void check(napi_status status, const char* what) {
  if (status != napi_ok) throw ArgumentError(what);
}

template <typename T>
TypedView<T> typedArray(napi_env env, napi_value value, napi_typedarray_type wanted, const char* typeName,
                        const char* name) {
  bool isTyped = false;
  check(napi_is_typedarray(env, value, &isTyped), "cannot inspect an argument");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (isTyped) check(napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr), "typed array");
  if (!isTyped || type != wanted) throw ArgumentError(std::string(name) + " must be a " + typeName);
  // data already points at the view's first element (byte offset applied)
  return TypedView<T>{static_cast<T*>(data), length};
}

}  // namespace

Args::Args(napi_env env, napi_callback_info info, size_t expected) {
  check(napi_get_cb_info(env, info, &count, values, nullptr, nullptr), "cannot read the arguments");
  if (expected > kMax) throw ArgumentError("too many arguments for Args (raise kMax)");
  if (count != expected) {
    throw ArgumentError("expected " + std::to_string(expected) + " arguments, got " + std::to_string(count));
  }
}

TypedView<float> float32Array(napi_env env, napi_value value, const char* name) {
  return typedArray<float>(env, value, napi_float32_array, "Float32Array", name);
}

TypedView<int32_t> int32Array(napi_env env, napi_value value, const char* name) {
  return typedArray<int32_t>(env, value, napi_int32_array, "Int32Array", name);
}

int32_t int32Value(napi_env env, napi_value value, const char* name) {
  int32_t out = 0;
  if (napi_get_value_int32(env, value, &out) != napi_ok) throw ArgumentError(std::string(name) + " must be a number");
  return out;
}

double doubleValue(napi_env env, napi_value value, const char* name) {
  double out = 0;
  if (napi_get_value_double(env, value, &out) != napi_ok) throw ArgumentError(std::string(name) + " must be a number");
  return out;
}

bool isNull(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && type == napi_null;
}

}  // namespace voiceswap
