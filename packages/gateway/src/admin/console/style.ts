/**
 * The console's one stylesheet, served from the admin listener itself (`/console.css`): the
 * Content-Security-Policy allows styles from 'self' only, and nothing is fetched from elsewhere.
 * Plain CSS, system fonts; readable from 390 px (one column; the denied table becomes one card a
 * row, every column labelled, so nothing is cut; other tables scroll inside their box) to 1280 px
 * and up; visible focus for keyboard use; colours with AA contrast.
 */
export const CONSOLE_CSS = `
:root { color-scheme: light; --fg: #1a1a1a; --muted: #555; --line: #ccc; --bg: #fff; --accent: #0b57d0;
  --bad: #a50e0e; --bad-bg: #fce8e6; --warn: #7a4b00; --warn-bg: #fef7e0; --ok: #0d652d; --ok-bg: #e6f4ea; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header { border-bottom: 1px solid var(--line); padding: .75rem 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
header h1 { font-size: 1.25rem; margin: 0; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; }
main { max-width: 80rem; margin: 0 auto; padding: 1rem; }
section { margin: 0 0 2rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
.box { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
th { font-weight: 600; }
td.origin { min-width: 14rem; }
td.origin, code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; word-break: break-all; }
pre { white-space: pre-wrap; margin: 0; }
.num { text-align: right; }
form.inline { display: inline; margin: 0; }
button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
input[type=text], input[type=password], select, textarea { font: inherit; width: 100%; max-width: 40rem; padding: .35rem .5rem; border: 1px solid #767676; border-radius: 4px; }
textarea { font-family: ui-monospace, Menlo, Consolas, monospace; min-height: 10rem; max-width: 100%; }
.row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .5rem; }
.msg { padding: .5rem .75rem; border-radius: 4px; margin: 0 0 1rem; }
.msg.ok { background: var(--ok-bg); color: var(--ok); }
.msg.bad { background: var(--bad-bg); color: var(--bad); }
.msg.warn { background: var(--warn-bg); color: var(--warn); }
.issue { display: block; font-size: .9rem; }
.issue.error { color: var(--bad); }
.issue.warning { color: var(--warn); }
.muted { color: var(--muted); }
.ctl { color: var(--bad); background: var(--bad-bg); font-family: ui-monospace, Menlo, Consolas, monospace; }
ul.diff { list-style: none; margin: 0; padding: 0; }
#notice { scroll-margin-top: 1rem; }
ol.lines { list-style: none; margin: 0; padding: 0; }
ol.lines li { display: grid; grid-template-columns: 3.5rem 1fr auto; gap: .5rem; padding: .2rem 0; border-bottom: 1px solid #eee; align-items: start; }
ol.lines .ln { color: var(--muted); text-align: right; font-family: ui-monospace, Menlo, Consolas, monospace; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; word-break: break-all; }
.lanes, ol.seq li { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0 .5rem; }
.lanes { position: sticky; top: 0; background: var(--bg); font-weight: 600; border-bottom: 2px solid var(--line); margin-top: .5rem; }
.lanes span { text-align: center; }
ol.seq { list-style: none; margin: 0 0 1rem; padding: 0; background: repeating-linear-gradient(90deg, transparent 0 calc(12.5% - 1px), var(--line) calc(12.5% - 1px) 12.5%, transparent 12.5% 25%); }
ol.seq li { padding: .35rem 0; }
ol.seq .step { border: 1px solid var(--accent); border-radius: 4px; background: #f4f8ff; padding: .25rem .5rem; min-width: 0; }
ol.seq .dir { color: var(--accent); font-weight: 600; }
ol.seq pre { font-size: .85rem; }
.s1-2 .step { grid-column: 1 / 2; } .s1-3 .step { grid-column: 1 / 3; } .s1-4 .step { grid-column: 1 / 4; } .s1-5 .step { grid-column: 1 / 5; }
.s2-3 .step { grid-column: 2 / 3; } .s2-4 .step { grid-column: 2 / 4; } .s2-5 .step { grid-column: 2 / 5; }
.s3-4 .step { grid-column: 3 / 4; } .s3-5 .step { grid-column: 3 / 5; } .s4-5 .step { grid-column: 4 / 5; }
article.case { border-top: 1px solid var(--line); margin-top: 1rem; }
h3 { font-size: 1.05rem; }
h4 { font-size: 1rem; margin: 1rem 0 .25rem; }
table.verdicts { margin-top: .5rem; }
ul.notes { font-size: .9rem; }
#fail-text { min-height: 8rem; }
@media (max-width: 600px) {
  .lanes { display: none; }
  ol.seq { background: none; }
  ol.seq li { display: block; }
  body { font-size: 15px; }
  main { padding: .75rem; }
  ol.lines li { grid-template-columns: 2.5rem 1fr; }
  ol.lines li form { grid-column: 2; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack thead { position: absolute; left: -9999px; }
  table.stack tr { border-bottom: 2px solid var(--line); padding: .25rem 0; }
  table.stack td { display: grid; grid-template-columns: 7rem minmax(0, 1fr); gap: .5rem; border: 0; padding: .15rem 0; text-align: left; }
  table.stack td::before { content: attr(data-label); font-weight: 600; }
  table.stack td.origin { min-width: 0; }
}
`;
