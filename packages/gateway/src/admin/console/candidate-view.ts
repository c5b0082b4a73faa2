/** The candidate section of the console: stage a list, see whose decision it would change, promote it. */
import type { CandidateView } from '../../views/candidate.js';
import { esc, postButton, scrollBox, shown, time } from './html.js';

export type { CandidateDifference, CandidateView } from '../../views/candidate.js';

export function candidateSection(c: CandidateView | undefined, canWrite: boolean): string {
  const stage = canWrite
    ? `<form method="post" action="/console/candidate"><label for="cand-text">Candidate list text</label><textarea id="cand-text" name="text" spellcheck="false"></textarea><div class="row"><button type="submit" class="secondary">Stage as the candidate</button></div></form>`
    : '';
  if (c === undefined)
    return `<section id="candidate" aria-labelledby="cand-h"><h2 id="cand-h">Candidate list</h2><p>No candidate list. A staged list is evaluated beside the one in force on every request, without deciding anything.</p>${stage}</section>`;
  const rows = c.differences
    .map(
      (d) =>
        `<tr><td class="origin">${shown(d.origin)}</td><td>${esc(d.inForce)}</td><td><strong>${esc(d.candidate)}</strong></td><td class="num">${d.count}</td><td>${time(d.firstSeen)}</td><td>${time(d.lastSeen)}</td><td>${d.seenBefore === true ? '<span class="muted">seen before the candidate</span>' : `<code>${shown(d.sampleMethod)} ${shown(d.samplePath)}</code>`}</td></tr>`,
    )
    .join('');
  const table =
    c.differences.length === 0
      ? '<p>No origin seen so far, before or since the candidate, would be decided differently.</p>'
      : scrollBox(
          'Candidate differences table',
          `<table><caption class="muted">Origins whose decision would change</caption><thead><tr><th scope="col">Origin</th><th scope="col">Now</th><th scope="col">With the candidate</th><th scope="col" class="num">Count</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Sample request</th></tr></thead><tbody>${rows}</tbody></table>`,
        );
  const errors = c.errors
    .map(
      (i) =>
        `<span class="issue error">${esc(i.code)} at line ${i.line}, column ${i.column}: ${shown(i.message)}</span>`,
    )
    .join('');
  const promote =
    canWrite && c.errors.length === 0
      ? `<div class="row">${postButton('/console/promote', {}, 'Promote the candidate to the list in force')}${postButton('/console/candidate/drop', {}, 'Drop the candidate', undefined, 'secondary')}</div>`
      : '';
  return `<section id="candidate" aria-labelledby="cand-h"><h2 id="cand-h">Candidate list</h2>
<p>Source: <code>${esc(c.source)}</code>; ${c.entries} entries.</p>${errors}${table}${promote}${stage}</section>`;
}
