#!/usr/bin/env bash
# Tag a release of the action and move its major tag.
#
#   scripts/release.sh v1.2.3          check, create the annotated tag v1.2.3, move v1 to it
#   scripts/release.sh v1.2.3 --push   the same, then push both tags to origin
#
# Consumers pin `@v1` (moved on every release), `@v1.2.3`, or a commit SHA. Only vX.Y.Z gets a GitHub
# release: a published release's tag cannot be moved when immutable releases are on, so the major tag
# stays a plain tag moved with git.
set -euo pipefail

usage() {
  echo "Usage: scripts/release.sh vMAJOR.MINOR.PATCH [--push]" >&2
  exit 2
}

fail() {
  echo "release: $1" >&2
  exit 1
}

[[ $# -ge 1 && $# -le 2 ]] || usage
tag="$1"
push=false
if [[ $# -eq 2 ]]; then
  [[ "$2" == "--push" ]] || usage
  push=true
fi

[[ "$tag" =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || fail "invalid tag '$tag': expected vMAJOR.MINOR.PATCH, for example v1.2.3"
version="${tag#v}"
major="v${BASH_REMATCH[1]}"

cd "$(git rev-parse --show-toplevel)"

# The tag must point at what CI tested: a clean main.
branch="$(git rev-parse --abbrev-ref HEAD)"
[[ "$branch" == "main" ]] || fail "releases are tagged on main, but the current branch is '$branch'"
[[ -z "$(git status --porcelain)" ]] || fail "the work tree has uncommitted changes; commit or remove them first"

git rev-parse -q --verify "refs/tags/$tag" >/dev/null && fail "tag $tag already exists"

latest="$(git tag --list 'v*.*.*' | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1 || true)"
if [[ -n "$latest" && "$(printf '%s\n%s\n' "$latest" "$tag" | sort -V | tail -n 1)" != "$tag" ]]; then
  fail "$tag is not newer than the latest release $latest"
fi

package_version="$(node -p "require('./package.json').version")"
[[ "$package_version" == "$version" ]] ||
  fail "package.json has version $package_version; run 'npm version --no-git-tag-version $version' and commit first"

# Runners execute the committed dist/, so it must be exactly what the sources build to.
echo "Building dist/ to check that it is committed ..."
npm run build >/dev/null
if [[ -n "$(git status --porcelain -- dist)" ]]; then
  git status --porcelain -- dist >&2
  fail "dist/ differs from a fresh build; commit dist/ first"
fi

git tag -a "$tag" -m "$tag"
git tag -fa "$major" -m "Update $major to $tag"
echo "Tagged $tag and moved $major to $(git rev-parse --short "$tag^{commit}")."

previous_major="${latest%%.*}"
if [[ -n "$latest" && "$previous_major" != "$major" ]]; then
  echo "New major version: keep fixing $previous_major on a branch with 'git branch releases/$previous_major $previous_major'."
fi

if [[ "$push" == true ]]; then
  git push origin "refs/tags/$tag"
  git push --force origin "refs/tags/$major"
  echo "Pushed $tag and $major."
else
  echo "Not pushed. To publish: git push origin $tag && git push --force origin $major"
fi
echo "Then create the release of $tag (for example 'gh release create $tag --verify-tag --generate-notes')"
echo "and tick 'Publish this Action to the GitHub Marketplace' in the release form."
