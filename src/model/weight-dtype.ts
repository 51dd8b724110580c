/**
 * How the runner stores the model's frozen weights on the device: float32, or int8 (8 bits per value
 * of the projections and the embedding with a float32 scale per row; src/model/quantize.ts). Kept
 * apart from the quantizer so that settings code (dashboard, CLI) names it without the graph code.
 */
export type WeightDtype = 'float32' | 'int8';
export const WEIGHT_DTYPES: readonly WeightDtype[] = ['float32', 'int8'];

export function checkWeightDtype(value: unknown): WeightDtype {
  if (!WEIGHT_DTYPES.includes(value as WeightDtype)) throw new Error(`weight dtype must be one of ${WEIGHT_DTYPES.join(', ')}, got ${String(value)}`);
  return value as WeightDtype;
}
