// Files of a consumer repository before its first health-check round: the workflow that runs
// the action and a README. The demo and `npm run emulator -- --seed-workflow` start from it.

export const WORKFLOW_PATH = '.github/workflows/flame-status.yml'

const WORKFLOW = `name: FLAME health check

on:
  schedule:
    - cron: '*/30 * * * *'
  workflow_dispatch:

concurrency:
  group: flame-status
  cancel-in-progress: false

permissions:
  contents: write

jobs:
  health-check:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: privateaim/flame-status-action@v1
        with:
          username: \${{ secrets.FLAME_USERNAME }}
          password: \${{ secrets.FLAME_PASSWORD }}
`

/** Path → content of the seeded consumer repository. */
export function workflowSeed(): Record<string, string> {
  return {
    'README.md': '# FLAME status\n\nHealth-check history of the FLAME Hub.\n',
    [WORKFLOW_PATH]: WORKFLOW
  }
}
