#!/usr/bin/env bash
# Checks that the file map in docs/ARCHITECTURE.md matches the tree, so that it cannot drift.
#
# The file map is the first ```text block after the heading "## File map". In it, a line that
# starts in the first column names a path (its first word); indented lines only continue the
# description of the path above and are not read. A path ending in "/" must be a folder, any
# other path a file, both relative to the repository's root.
#
# The check fails when
#   (a) a path the map names does not exist (or is a file where the map says folder, or the
#       other way round), or
#   (b) a folder under src/ (at any depth), or a .rs file directly in src/, is not named in
#       the map (folders with their trailing "/": src/chat/slack/).
#
# Files inside a folder need not be named one by one. Needs only bash, coreutils, find, grep
# and sed. Run from anywhere: scripts/check-layout.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

doc=docs/ARCHITECTURE.md
if [[ ! -f $doc ]]; then
    echo "check-layout: $doc is missing" >&2
    exit 1
fi

# The lines of the map: from the first ```text fence after "## File map" to its closing fence.
map=$(sed -n '/^## File map[[:space:]]*$/,$p' "$doc" | sed -n '/^```text[[:space:]]*$/,/^```[[:space:]]*$/p' | sed '1d;/^```/,$d')
if [[ -z $map ]]; then
    echo "check-layout: no \`\`\`text block after \"## File map\" in $doc" >&2
    exit 1
fi

# The paths: the first word of every line that starts in the first column.
paths=$(printf '%s\n' "$map" | grep -E '^[^[:space:]]' | sed -E 's/[[:space:]].*$//' || true)

problems=0
problem() {
    echo "check-layout: $*" >&2
    problems=$((problems + 1))
}

# (a) every named path exists, as a folder when it ends in "/", else as a file.
while IFS= read -r path; do
    [[ -z $path ]] && continue
    if [[ $path == */ ]]; then
        if [[ -f ${path%/} ]]; then
            problem "$doc names the folder '$path', but it is a file: drop the trailing '/'"
        elif [[ ! -d $path ]]; then
            problem "$doc names '$path', which does not exist: remove it from the file map or fix the path"
        fi
    else
        if [[ -d $path ]]; then
            problem "$doc names '$path', which is a folder: write it as '$path/'"
        elif [[ ! -f $path ]]; then
            problem "$doc names '$path', which does not exist: remove it from the file map or fix the path"
        fi
    fi
done <<<"$paths"

# (b) every folder under src/ and every .rs file directly in src/ is named.
while IFS= read -r found; do
    [[ -z $found ]] && continue
    if ! grep -qxF -- "$found" <<<"$paths"; then
        problem "'$found' is not in the file map of $doc: add a line for it (starting in the first column, with what it holds)"
    fi
done < <({
    find src -mindepth 1 -type d -printf '%p/\n'
    find src -mindepth 1 -maxdepth 1 -type f -name '*.rs' -printf '%p\n'
} | LC_ALL=C sort)

if ((problems > 0)); then
    echo "check-layout: $problems problem(s); the file map is in $doc under \"## File map\"" >&2
    exit 1
fi
echo "check-layout: the file map in $doc matches the tree ($(grep -c . <<<"$paths") paths)"
