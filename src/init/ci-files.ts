/** The CI files `kiln init` writes: a caller of kiln's reusable workflow, or an include of its GitLab template. */

export interface CiFileOptions {
  /** The fleet repo's default branch (published on push). */
  branch: string;
  /** Environments in promotion order; every one after the first is a promotion target. */
  environments: string[];
}

/** .github/workflows/kiln.yml: PRs diff and comment, pushes to the default branch publish, manual runs promote. */
export function githubWorkflow(o: CiFileOptions): string {
  const targets = o.environments.slice(1);
  return `# kiln: the fleet rendered into one branch per cluster (written by kiln init; see kiln's README, "CI pipelines")
#   pull request          -> validate, diff, one sticky PR comment with the rendered diff
#   push to ${o.branch.padEnd(13)} -> publish every cluster's rendered branch
#   Run workflow (manual) -> promote to the chosen environment (break-glass: into a deploy freeze)
name: kiln
on:
  pull_request:
  push:
    branches: [${o.branch}]
  workflow_dispatch:
    inputs:
      to:
        description: environment to promote to
        type: choice
        options: [${targets.join(', ')}]
      break-glass:
        description: "only to promote into a deploy freeze: the reason (recorded in every commit)"
        type: string
        default: ""
permissions: {}
jobs:
  kiln:
    # checks out with fetch-depth: 0 (publish orders source commits by ancestry)
    uses: kiln-dev/kiln/.github/workflows/kiln.yml@v1
    with:
      shards: 1
      promote-to: \${{ inputs.to }}
      break-glass: \${{ inputs.break-glass }}
    # the union of what its jobs need; each job narrows it
    permissions:
      contents: write
      pull-requests: write
      statuses: read
      checks: read
`;
}

/** .gitlab-ci.yml: the template's merge request, default-branch and manual promotion jobs. */
export function gitlabCi(o: CiFileOptions): string {
  const targets = o.environments.slice(1);
  return `# kiln: the fleet rendered into one branch per cluster (written by kiln init; see kiln's README, "CI pipelines")
# Set the masked CI/CD variables KILN_PUSH_TOKEN (write_repository) and KILN_API_TOKEN (api) first.
include:
  - remote: https://raw.githubusercontent.com/kiln-dev/kiln/v1/pipelines/gitlab/kiln.gitlab-ci.yml

stages: [test, deploy]

variables:
  # full history: publish orders source commits by ancestry
  GIT_DEPTH: "0"
${targets.length ? `
kiln-promote:
  parallel:
    matrix:
      - KILN_PROMOTE_TO: [${targets.join(', ')}]
` : ''}`;
}
