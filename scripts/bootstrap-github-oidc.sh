#!/usr/bin/env bash
# Creates the Azure identity the GitHub Actions pipeline signs in as, with OpenID Connect only:
#   - a user-assigned managed identity (no client secret exists to leak);
#   - federated credentials for this repository's main branch, its pull requests and its "prod"
#     environment (the subjects the workflows in .github/workflows present);
#   - Contributor on the subscription, plus Role Based Access Control Administrator limited by an
#     ABAC condition to the three roles this stack assigns (AcrPull, AcrPush, AKS RBAC Cluster
#     Admin), so the pipeline cannot grant itself anything else.
# --dry-run prints every command instead of running it. Requires the Azure CLI (`az login`).
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 --repo OWNER/NAME --subscription ID --resource-group NAME [--location REGION] [--name NAME] [--owner] [--dry-run]

  --repo            the GitHub repository the pipeline runs in
  --subscription    Azure subscription the stacks deploy to
  --resource-group  resource group that holds the pipeline's identity (created if missing)
  --location        region of that resource group and identity (default: westeurope)
  --name            identity name (default: <repo name>-deployer)
  --owner           grant Owner instead of Contributor + constrained RBAC Administrator
                    (simpler, but the pipeline could then grant any role to anyone)
  --dry-run         print the commands, run nothing
USAGE
}

repo="" subscription="" group="" location="westeurope" name="" owner=false dry_run=false
while [ $# -gt 0 ]; do
	case "$1" in
		--repo) repo="${2:-}"; shift 2 ;;
		--subscription) subscription="${2:-}"; shift 2 ;;
		--resource-group) group="${2:-}"; shift 2 ;;
		--location) location="${2:-}"; shift 2 ;;
		--name) name="${2:-}"; shift 2 ;;
		--owner) owner=true; shift ;;
		--dry-run) dry_run=true; shift ;;
		-h | --help) usage; exit 0 ;;
		*) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
	esac
done
if [ -z "$repo" ] || [ -z "$subscription" ] || [ -z "$group" ]; then
	usage >&2
	exit 2
fi
if ! [[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
	echo "--repo must be OWNER/NAME, got: $repo" >&2
	exit 2
fi
name="${name:-${repo#*/}-deployer}"

# Built-in role ids, the same in every tenant.
CONTRIBUTOR=b24988ac-6180-42a0-ab88-20f7382dd24c
RBAC_ADMIN=f58310d9-a9f6-439a-9e8d-f62e7b41a168
OWNER=8e3af657-a8ff-443c-a75c-2fe8c4bcb635
ACR_PULL=7f951dda-4ed3-4680-a7ca-43fe172d538d
ACR_PUSH=8311e382-0749-4cb8-b61a-304f252e45ec
AKS_RBAC_CLUSTER_ADMIN=b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b
scope="/subscriptions/$subscription"

run() {
	if $dry_run; then
		printf '%q ' "$@"
		printf '\n'
	else
		"$@"
	fi
}

run az account set --subscription "$subscription"
run az group create --name "$group" --location "$location" --output none
run az identity create --resource-group "$group" --name "$name" --location "$location" --output none
if $dry_run; then
	principal_id="<principal id of $name>"
	client_id="<client id of $name>"
	tenant_id="<tenant id>"
else
	principal_id="$(az identity show -g "$group" -n "$name" --query principalId -o tsv)"
	client_id="$(az identity show -g "$group" -n "$name" --query clientId -o tsv)"
	tenant_id="$(az account show --query tenantId -o tsv)"
fi

# The subjects GitHub puts in the OIDC token: pushes to main (up-dev), pull requests (previews),
# and jobs in the "prod" environment (up-prod).
for entry in "main:repo:$repo:ref:refs/heads/main" "pull-requests:repo:$repo:pull_request" "prod:repo:$repo:environment:prod"; do
	run az identity federated-credential create --resource-group "$group" --identity-name "$name" \
		--name "github-${entry%%:*}" --issuer https://token.actions.githubusercontent.com \
		--subject "${entry#*:}" --audiences api://AzureADTokenExchange --output none
done

if $owner; then
	run az role assignment create --assignee-object-id "$principal_id" --assignee-principal-type ServicePrincipal \
		--role "$OWNER" --scope "$scope" --output none
else
	run az role assignment create --assignee-object-id "$principal_id" --assignee-principal-type ServicePrincipal \
		--role "$CONTRIBUTOR" --scope "$scope" --output none
	allowed="$ACR_PULL, $ACR_PUSH, $AKS_RBAC_CLUSTER_ADMIN"
	condition="((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$allowed})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$allowed}))"
	run az role assignment create --assignee-object-id "$principal_id" --assignee-principal-type ServicePrincipal \
		--role "$RBAC_ADMIN" --scope "$scope" --condition "$condition" --condition-version 2.0 --output none
fi

cat <<NEXT

Set these as GitHub Actions variables of $repo (Settings → Secrets and variables → Actions → Variables):
  AZURE_CLIENT_ID=$client_id
  AZURE_TENANT_ID=$tenant_id
  AZURE_SUBSCRIPTION_ID=$subscription
or: gh variable set AZURE_CLIENT_ID --repo $repo --body "$client_id" (and the same for the other two).
Then create the "prod" environment with required reviewers, and add PULUMI_ACCESS_TOKEN as a secret
(or switch the workflows to an azblob:// backend, see README).

List this identity as a deployer of every stack the pipeline runs, beside each person who runs
pulumi up by hand (their object id: az ad signed-in-user show --query id -o tsv), in Pulumi.<stack>.yaml:
  aks-acr-app:deployers:
    - objectId: $principal_id
      type: ServicePrincipal
    - objectId: <your object id>
      type: User
Without that list a stack grants only whoever ran it first, and the pipeline's first run stops
and says so instead of revoking that person.
NEXT
