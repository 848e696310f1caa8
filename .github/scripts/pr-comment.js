// Comments for pull requests, used by the workflows through actions/github-script:
//   const { upsertComment, reportComment } = require("./.github/scripts/pr-comment.js");
// One comment per marker, updated in place, so a PR shows the latest result of each kind only.
"use strict";
const fs = require("fs");

/** GitHub refuses comments over 65536 characters. */
const MAX_COMMENT = 60000;

/** The driver's --json report as a short Markdown block; a missing or broken file says so. */
function reportComment(marker, title, file, sha) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return `${marker}\n### ${title}: no report\n${e.message}`;
  }
  const changes = report.changeSummary ?? report.resourceChanges ?? {};
  const rows = Object.entries(changes)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `| ${op} | ${n} |`);
  const body = [
    marker,
    `### ${title} \`${report.stack ?? ""}\`: ${report.ok ? "✅" : "❌"} ${report.summary}`,
    "",
    rows.length ? ["| operation | resources |", "|---|---|", ...rows].join("\n") : "_no resource changes_",
    report.error ? "\n```\n" + report.error + "\n```" : "",
    `\n<sub>exit code ${report.exitCode} · ${report.durationSeconds}s · ${String(sha).slice(0, 7)}</sub>`,
  ].join("\n");
  return body.length > MAX_COMMENT ? `${body.slice(0, MAX_COMMENT)}\n\n_(truncated)_` : body;
}

async function upsertComment({ github, context, issue_number, marker, body }) {
  const { owner, repo } = context.repo;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number });
  const previous = comments.find((c) => c.body?.includes(marker));
  if (previous) await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });
  else await github.rest.issues.createComment({ owner, repo, issue_number, body });
}

/** The pull request a pushed commit came from (a merge or squash of it), if any. */
async function pullRequestOf({ github, context }) {
  const { owner, repo } = context.repo;
  const { data } = await github.rest.repos.listPullRequestsAssociatedWithCommit({
    owner,
    repo,
    commit_sha: context.sha,
  });
  return data.find((pr) => pr.merged_at)?.number ?? data[0]?.number;
}

module.exports = { reportComment, upsertComment, pullRequestOf, MAX_COMMENT };
