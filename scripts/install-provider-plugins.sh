#!/usr/bin/env bash
# Installs the resource provider plugin of every Pulumi package in node_modules, at the version the
# lockfile installed, by name: what @pulumi/kubernetes's install script would do, for jobs that run
# `npm ci --ignore-scripts` because a deploy token is reachable there. Fails if any install fails.
set -euo pipefail
cd "${BASH_SOURCE[0]%/*}/.."
plugins="$(node -e '
const fs = require("node:fs");
const dir = "node_modules/@pulumi";
for (const name of fs.readdirSync(dir).sort()) {
	const file = dir + "/" + name + "/package.json";
	if (!fs.existsSync(file)) continue;
	const p = JSON.parse(fs.readFileSync(file, "utf8")).pulumi;
	if (p && p.resource) console.log(p.name + " " + p.version);
}')"
if [ -z "$plugins" ]; then
	echo "no Pulumi provider package in node_modules/@pulumi: run npm ci first" >&2
	exit 1
fi
while read -r name version; do
	pulumi plugin install resource "$name" "$version"
done <<<"$plugins"
