#!/usr/bin/env bash
# Fails closed unless a job's access to Pulumi state reaches its own stack alone: the environment's
# own container in Azure Blob Storage (PULUMI_BACKEND_URL, as BACKEND), or a Pulumi Cloud team token
# of a team that may update that stack alone (PULUMI_TOKEN_SCOPE=team:<team>, as SCOPE). An
# organization token would write every stack's state, prod's included, and state holds code the
# next run of that stack executes (docs/security-and-state.md: Code in state).
set -euo pipefail
case "${BACKEND:-}" in
azblob://*)
	echo "state in $BACKEND: this environment's own container, which only its identity and deployers may read"
	exit 0
	;;
"") ;;
*)
	echo "::error title=Not this environment's own state::PULUMI_BACKEND_URL must be azblob://<container>?storage_account=<account>, this environment's own (scripts/bootstrap-github-oidc.sh --state-account), or unset for Pulumi Cloud with a team token."
	exit 1
	;;
esac
case "${SCOPE:-}" in
team:?*) ;;
*)
	echo "::error title=No stack-scoped Pulumi token::Set PULUMI_TOKEN_SCOPE=team:<team> in this environment, a team that may update this stack alone (Enterprise and Business Critical editions), or keep this environment's state in Azure Blob Storage where the edition cannot scope a token (PULUMI_BACKEND_URL; docs/delivery-and-trust.md: Trust)."
	exit 1
	;;
esac
