/**
 * A query result (columns and rows) as a small table, capped so a large result stays readable.
 */
const MAX_ROWS = 20;

export function ResultTable({ result, caption }: { result: { columns: string[]; rows: unknown[][]; error?: string } | null | undefined; caption: string }) {
  if (!result) return <p className="muted">{caption}: not run.</p>;
  if (result.error) return <p className="error">{caption}: {result.error}</p>;
  return (
    <table className="result-table">
      <caption>
        {caption} <span className="muted">({result.rows.length} row{result.rows.length === 1 ? '' : 's'})</span>
      </caption>
      <thead>
        <tr>
          {result.columns.map((c, i) => (
            <th key={i} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {result.rows.slice(0, MAX_ROWS).map((row, r) => (
          <tr key={r}>
            {row.map((v, c) => (
              <td key={c}>{v === null ? <span className="muted">NULL</span> : String(v)}</td>
            ))}
          </tr>
        ))}
        {result.rows.length > MAX_ROWS && (
          <tr>
            <td colSpan={result.columns.length} className="muted">
              … {result.rows.length - MAX_ROWS} more rows
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
