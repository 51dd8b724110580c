/** Element types of graph tensors and their ONNX / onnxruntime-web names. */
/** uint8: 8-bit quantized weights (onnxruntime-web binds no int8 GPU buffers; int8 is stored offset by 128). */
export type DType = 'float32' | 'float16' | 'int32' | 'int64' | 'bool' | 'uint8';

export const FLOAT_TYPES: readonly DType[] = ['float32', 'float16'];

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16';
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
  uint8: 1,
};
