/**
 * The GRPO settings under TRL's names, grouped, with each field's default, its problems inline
 * (validateConfig's words) and what the batch amounts to.
 */
import { LORA_MODULES, type LoraModuleName } from '../../model/peft';
import { Panel } from '../Panel';
import { changedSettings, DEFAULT_FORM, promptsPerStepOf, SETTING_GROUPS, validateSettings, type SettingField, type SettingsValidation } from '../settings-form';
import { useAppStore } from '../store-context';
import { isActive } from '../training-state';
import { useMemo } from 'react';
import { validateWarmup, WARMUP_FIELDS } from '../warmup-form';
import { MemoryPlanSettings } from './MemoryPlanSettings';

export function SettingsPanel() {
  const form = useAppStore((s) => s.setup.settings);
  const reset = useAppStore((s) => s.resetSettings);
  const locked = useAppStore((s) => isActive(s.run.phase));
  const validation = useMemo(() => validateSettings(form), [form]);
  const changed = new Set(changedSettings(form));

  return (
    <Panel title="4 · Settings" subtitle="GRPOConfig, under Hugging Face TRL's names" wide testId="settings-panel">
      <div className="actions">
        <BatchSummary validation={validation} />
        <button type="button" className="secondary small push-right" onClick={reset} disabled={locked || changed.size === 0} data-testid="settings-reset">
          Reset to defaults
        </button>
      </div>
      {validation.otherErrors.length > 0 && (
        <ul className="error" role="alert">
          {validation.otherErrors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
      <fieldset className="settings" disabled={locked}>
        <legend className="sr-only">GRPO settings</legend>
        {SETTING_GROUPS.map((group) => (
          <fieldset key={group.title} className="settings__group">
            <legend className="group-title">{group.title}</legend>
            {group.fields.map((field) => (
              <SettingInput key={field.name} field={field} errors={validation.fieldErrors[field.name]} changed={changed.has(field.name)} />
            ))}
            {group.title === 'LoRA' && <TargetModules errors={validation.fieldErrors.lora_target_modules} />}
          </fieldset>
        ))}
        <WarmupSettings />
      </fieldset>
      <MemoryPlanSettings />
    </Panel>
  );
}

/** The supervised warm-up before GRPO: off, or on with a few SFTConfig fields. */
function WarmupSettings() {
  const form = useAppStore((s) => s.setup.warmup);
  const setWarmup = useAppStore((s) => s.setWarmup);
  const validation = useMemo(() => validateWarmup(form), [form]);
  return (
    <fieldset className="settings__group" data-testid="settings-warmup">
      <legend className="group-title">Warm-up (SFT)</legend>
      <label className="setting setting--toggle">
        <input type="checkbox" checked={form.enabled} onChange={(e) => setWarmup({ enabled: e.target.checked })} data-testid="warmup-enabled" />
        <span>Supervised warm-up of the adapter on the gold queries before GRPO (TRL SFTTrainer; teaches the answer format)</span>
      </label>
      {form.enabled &&
        WARMUP_FIELDS.map((f) => {
          const id = `warmup-${f.name}`;
          const errors = validation.fieldErrors[f.name];
          return (
            <div key={f.name} className={`setting${errors ? ' has-error' : ''}`} data-testid={id}>
              <label htmlFor={id} className="setting__name">
                {f.name}
              </label>
              <input
                id={id}
                type="text"
                inputMode={f.integer ? 'numeric' : 'decimal'}
                value={form[f.name]}
                spellCheck={false}
                onChange={(e) => setWarmup({ [f.name]: e.target.value })}
                aria-invalid={errors ? true : undefined}
                aria-describedby={errors ? `${id}-help ${id}-error` : `${id}-help`}
              />
              <span id={`${id}-help`} className="setting__help">
                {f.help}
              </span>
              {errors && (
                <span id={`${id}-error`} className="field__error" role="alert">
                  {errors.join('; ')}
                </span>
              )}
            </div>
          );
        })}
    </fieldset>
  );
}

function SettingInput({ field, errors, changed }: { field: SettingField; errors: string[] | undefined; changed: boolean }) {
  const value = useAppStore((s) => s.setup.settings[field.name]);
  const setSetting = useAppStore((s) => s.setSetting);
  const id = `setting-${field.name}`;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy = errors ? `${helpId} ${errorId}` : helpId;
  return (
    <div className={`setting${errors ? ' has-error' : ''}${changed ? ' is-changed' : ''}`} data-testid={id}>
      <label htmlFor={id} className="setting__name">
        {field.name}
      </label>
      {field.type.kind === 'choice' ? (
        <select id={id} value={value} onChange={(e) => setSetting(field.name, e.target.value)} aria-describedby={describedBy}>
          {field.type.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          type="text"
          inputMode={field.type.kind === 'integer' ? 'numeric' : 'decimal'}
          value={value}
          spellCheck={false}
          onChange={(e) => setSetting(field.name, e.target.value)}
          aria-invalid={errors ? true : undefined}
          aria-describedby={describedBy}
        />
      )}
      <span id={helpId} className="setting__help">
        {field.help}
        {changed && <span className="setting__default"> · default {DEFAULT_FORM[field.name]}</span>}
      </span>
      {errors && (
        <span id={errorId} className="field__error" role="alert">
          {errors.join('; ')}
        </span>
      )}
    </div>
  );
}

function TargetModules({ errors }: { errors: string[] | undefined }) {
  const modules = useAppStore((s) => s.setup.settings.lora_target_modules);
  const setModules = useAppStore((s) => s.setTargetModules);
  const toggle = (m: LoraModuleName, on: boolean) => setModules(LORA_MODULES.filter((x) => (x === m ? on : modules.includes(x))));
  return (
    <fieldset className={`setting modules${errors ? ' has-error' : ''}`} data-testid="setting-lora_target_modules">
      <legend className="setting__name">lora_target_modules</legend>
      <div className="modules__list">
        {LORA_MODULES.map((m) => (
          <label key={m} className="modules__item">
            <input type="checkbox" checked={modules.includes(m)} onChange={(e) => toggle(m, e.target.checked)} />
            <code>{m}</code>
          </label>
        ))}
      </div>
      {errors && (
        <span className="field__error" role="alert">
          {errors.join('; ')}
        </span>
      )}
    </fieldset>
  );
}

/** "2 prompts × 4 completions = 8 per step, 3 steps": what the batch numbers mean together. */
function BatchSummary({ validation }: { validation: SettingsValidation }) {
  const { config, errors } = validation;
  const prompts = promptsPerStepOf(config);
  if (errors.length > 0) {
    return (
      <p className="status-line status-line--bad" data-testid="settings-status">
        {errors.length} setting{errors.length === 1 ? ' needs' : 's need'} fixing before training.
      </p>
    );
  }
  return (
    <p className="status-line" data-testid="settings-status">
      Each step: <strong>{prompts}</strong> prompt{prompts === 1 ? '' : 's'} × <strong>{config.num_generations}</strong> completions ={' '}
      {config.per_device_train_batch_size * config.gradient_accumulation_steps}; <strong>{config.max_steps}</strong> steps.
    </p>
  );
}
