/**
 * How the model-folder commands end: exit 0 on success, 2 with "error: <message>" when `main`
 * throws one of the error classes that describe bad input (missing files, an adapter for another
 * base), 1 with the stack for anything else (a bug).
 */
type ErrorClass = abstract new (...args: never[]) => Error;

export function runCli(main: () => Promise<number>, inputErrors: readonly ErrorClass[], usage?: { error: ErrorClass; text: string }): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof Error && inputErrors.some((c) => e instanceof c)) {
        console.error(`error: ${e.message}${usage && e instanceof usage.error ? `\n${usage.text}` : ''}`);
        process.exit(2);
      }
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    },
  );
}
