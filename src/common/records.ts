/**
 * The records a training run reports (events, metrics rows, groups, evaluations, checkpoints):
 * written by the trainers (grpo/, sft/), carried by the worker contract (worker/training-api.ts),
 * shown by the UI. Plain data, no imports: every folder that uses them sits above this one.
 */

export type MetricValues = Record<string, number>;
/** One logged row: the global step (number of optimizer steps taken) and its metrics. */
export type MetricsRow = { step: number } & MetricValues;

export type TrainingPhase = 'idle' | 'loading' | 'warming-up' | 'evaluating' | 'generating' | 'scoring' | 'training' | 'paused' | 'stopped' | 'finished' | 'failed';

/** Progress of something slow (downloads, loading weights, compiling sessions). */
export interface ProgressEvent {
  type: 'progress';
  label: string;
  done: number;
  total: number;
  unit: 'bytes' | 'tensors' | 'steps' | 'tokens' | 'items';
}

/** One completion of a group, with everything the group table and its detail view show. */
export interface CompletionRecord {
  index: number;
  text: string;
  /** SQL extracted from the completion (null if none could be found). */
  sql: string | null;
  /** reward name -> score. */
  rewards: Record<string, number>;
  /** reward name -> the details object the reward returned. */
  details: Record<string, unknown>;
  total: number;
  advantage: number;
  length: number;
  /** Ended by a stop token (false: cut at max_completion_length). */
  terminated: boolean;
  /** Execution result vs the gold result on the first synthetic database (for the detail view). */
  execution?: { columns: string[]; rows: unknown[][]; error?: string } | null;
}

/** One prompt's group of num_generations completions. */
export interface GroupRecord {
  step: number;
  promptIndex: number;
  question: string;
  context: string;
  goldSql: string;
  goldExecution?: { columns: string[]; rows: unknown[][] } | null;
  completions: CompletionRecord[];
  rewardMean: number;
  rewardStd: number;
}

export interface EvalRecord {
  step: number;
  /** Fraction of held-out examples whose SQL is execution-equivalent to the gold SQL. */
  execution_accuracy: number;
  /** Fraction with the full <start_working_out>...<SOLUTION>...</SOLUTION> structure. */
  format_compliance: number;
  /** Examples evaluated (the two fractions are over these). */
  examples: number;
  /** Of those, prompts whose schema was pruned to fit max_prompt_length (by the question, never the gold SQL). */
  prompts_pruned: number;
  /** Examples of the subset left out: no prompt fits max_prompt_length, or the schema is unusable. */
  prompts_refused: number;
  /** Of the examples, those whose gold query could not be run (SQL worker timeout or crash): left out of execution_accuracy. */
  unjudged?: number;
}

/** A hint as the dashboard shows it: hints/types.ts's PolicyHint (which extends it) without its audit history. */
export interface HintRecord {
  /** "h1", "h2", ...: never reused within a store. */
  id: string;
  /** 'prefer' or 'avoid': the sign of weight. */
  hint_type: 'prefer' | 'avoid';
  /** A pattern key (hints/pattern-keys.ts), e.g. "agg:COUNT", "table:singer". One hint per pattern. */
  pattern: string;
  /** The phrase injected after "Prefer:" / "Avoid:" (editable). */
  description: string;
  /** In [-1, 1]: positive prefer, negative avoid; |weight| is the strength (the injection order). */
  weight: number;
  /** Lower-cased tables the hint applies to; [] applies to every example. */
  tables: string[];
  /** Qualifying completions (|advantage| above the threshold) that used the pattern. */
  evidence_count: number;
  /** Pinned hints never decay, are never pulled toward 0 and are never pruned; they still learn. */
  pinned: boolean;
}

export type TrainingEvent =
  | ProgressEvent
  | { type: 'phase'; phase: TrainingPhase; message?: string }
  | { type: 'metrics'; row: MetricsRow }
  /** One step of the supervised warm-up (loss, grad_norm, learning_rate, epoch, ...). */
  | { type: 'warmup-metrics'; row: MetricsRow }
  /** Held-out evaluation during the warm-up (its step counts warm-up steps). */
  | { type: 'warmup-eval'; record: EvalRecord }
  | { type: 'groups'; step: number; groups: GroupRecord[] }
  | { type: 'eval'; record: EvalRecord }
  | { type: 'hints'; step: number; hints: HintRecord[] }
  | { type: 'checkpoint'; id: string; step: number }
  /** A step skipped (e.g. NaN/Inf loss): nothing was applied. */
  | { type: 'warning'; step: number; message: string }
  /** Training stopped on an error; state is that of the last checkpoint or last good step. */
  | { type: 'error'; message: string };

export interface CheckpointInfo {
  id: string;
  step: number;
  createdAt: string;
  modelId: string;
  /** A warm-up (SFT) checkpoint; absent for GRPO's. */
  kind?: 'warmup';
}
