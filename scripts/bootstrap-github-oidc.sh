#!/usr/bin/env bash
# Creates what the GitHub Actions pipeline signs in as, one Azure identity per trust level, with
# OpenID Connect only (user-assigned managed identities: no client secret exists to leak):
#
#   identity            trusts the GitHub OIDC subject          may
#   <prefix>-preview    repo:<repo>:pull_request                read the first stack's resource group, list
#                                                               its cluster user credentials, read Kubernetes
#   <prefix>-<stack>    repo:<repo>:environment:<stack>         write that stack's resource group only; there,
#                                                               assign AcrPush, ACR's importer role and AKS RBAC
#                                                               Cluster Admin to its deployers only and AcrPull,
#                                                               Network Contributor and Key Vault Secrets User
#                                                               to its cluster's identities only (an ABAC
#                                                               condition naming them);
#                                                               every stack after the first also imports the
#                                                               images of the stack before it in --stacks (ACR's
#                                                               importer role on that group): the first builds,
#                                                               each later one promotes what the one before ran
#
# <repo> in a subject is owner@<owner id>/name@<repository id>: GitHub's immutable subject, which a
# renamed, transferred or re-created repository of the same name cannot present (--name-subjects for
# a repository whose tokens still carry names only).
#
# Each stack's cluster runs as identities made here, in rg-<prefix>-cluster-identities, which no stack
# identity writes: <prefix>-<stack>-control-plane, -kubelet and -certificate-reader (the Gateway's).
# The stack's identity may grant AcrPull to its kubelet, Network Contributor to its control plane and
# Key Vault Secrets User to its certificate reader, and nothing of them to anyone else: with
# identities of its own making it could grant them to any service principal that outlives the job.
# It may use its control plane's and kubelet's identities for the cluster (Managed Identity
# Operator) and write its certificate reader's federated credentials (<prefix> federated credential
# writer, a custom role), and no other identity's (--stack-made-identities: the stacks make their
# own, as before).
#
# The end-to-end run (e2e.yml) runs as the first stack's identity in a resource group of the runs'
# own, rg-<prefix>-e2e-runs (tagged purpose=e2e-runs: each run empties it whole before it starts),
# with the first stack's grants there.
#
# It also creates each stack's resource group (so every scope exists before the first run),
# registers the resource providers the stacks use (subscription rights the identities do not
# get), and sets up GitHub with its CLI: an environment per stack that only main may deploy to,
# each holding its identity's client id (every stack after the first with required reviewers who
# may not approve their own runs), no administrator bypass, a ruleset that protects main (with the
# review of .github/CODEOWNERS' owners, which it checks GitHub can find), and the
# preview identity's client id for pull requests; it then reads every GitHub setting back and fails
# naming each one that did not take (a plan without the feature, a token without the right).
#
# --dry-run prints every command and runs none. Needs the Azure CLI signed in as someone who may
# create role assignments (az login) and, unless --skip-github, the GitHub CLI signed in with
# admin rights on the repository (gh auth login). Runs on bash 3.2 (macOS) and later, and may be
# run again: every step creates or updates.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 --repo OWNER/NAME --subscription ID --resource-group NAME [--location REGION]
          [--prefix NAME] [--stacks LIST] [--deployers IDS] [--reviewers LIST] [--repo-ids OWNER_ID/REPO_ID]
          [--state-account NAME --state-vault NAME] [--stack-made-identities] [--name-subjects] [--owner]
          [--skip-github] [--dry-run]

  --repo            the GitHub repository the pipeline runs in
  --subscription    Azure subscription the stacks deploy to
  --resource-group  resource group that holds the pipeline's identities (created if missing); never a
                    stack's own group, where a stack identity could add federated credentials to them
  --location        region of the resource groups and identities (default: westeurope)
  --prefix          prefix of identity and resource group names (default: the repository name)
  --stacks          comma-separated stacks the pipeline deploys, each with its own identity,
                    resource group and GitHub environment (default: dev,prod)
  --deployers       comma-separated <stack>:<Entra object id> of the people who run pulumi up by hand
                    on that stack (its deployers list): with the stack's identity, the only
                    principals its identity may grant AcrPush, ACR's importer role or cluster admin.
                    Per stack, none by default: prod needs no standing human admin (break-glass:
                    docs/who-may-deploy.md)
  --reviewers       comma-separated required reviewers of every stack after the first, as user:<login>
                    or team:<org>/<slug> (needed with more than one stack)
  --repo-ids        the repository's owner and repository ids for its subjects (default: read with
                    gh api repos/OWNER/NAME)
  --state-account   keep each stack's state in Azure Blob Storage instead of Pulumi Cloud, for an
                    edition that cannot scope a token to one stack: a storage account of this name
                    (3-24 lower-case letters and digits, unique in Azure) in rg-<prefix>-state, one
                    container per stack; its identity and its deployers alone may use it
  --state-vault     with --state-account: a Key Vault of this name (3-24 letters, digits or '-',
                    unique in Azure) holding one key per stack for its secrets, usable the same way
  --stack-made-identities
                    let each stack make its cluster's identities, as stacks did before this script made
                    them (a cluster moved to a kubelet identity made here upgrades every node pool): its
                    identity may then grant AcrPull, Network Contributor and Key Vault Secrets User to any
                    service principal but the pipeline's
  --name-subjects   trust name-only subjects (repo:OWNER/NAME:...), for a repository created before
                    GitHub's immutable subjects that has not opted in to them
  --owner           grant each stack identity Owner on its resource group instead of Contributor
                    plus the constrained RBAC Administrator (simpler, but it could then grant any
                    role to anyone on that group)
  --skip-github     print the GitHub CLI commands instead of running them
  --dry-run         print every command, run nothing
USAGE
}

repo="" subscription="" group="" location="westeurope" prefix="" stacks="dev,prod" deployers="" reviewers="" repo_ids=""
state_account="" state_vault=""
name_subjects=false owner=false skip_github=false dry_run=false stack_made_identities=false
while [ $# -gt 0 ]; do
	case "$1" in
		--repo) repo="${2:-}"; shift 2 ;;
		--subscription) subscription="${2:-}"; shift 2 ;;
		--resource-group) group="${2:-}"; shift 2 ;;
		--location) location="${2:-}"; shift 2 ;;
		--prefix) prefix="${2:-}"; shift 2 ;;
		--stacks) stacks="${2:-}"; shift 2 ;;
		--deployers) deployers="${2:-}"; shift 2 ;;
		--reviewers) reviewers="${2:-}"; shift 2 ;;
		--repo-ids) repo_ids="${2:-}"; shift 2 ;;
		--state-account) state_account="${2:-}"; shift 2 ;;
		--state-vault) state_vault="${2:-}"; shift 2 ;;
		--stack-made-identities) stack_made_identities=true; shift ;;
		--name-subjects) name_subjects=true; shift ;;
		--owner) owner=true; shift ;;
		--skip-github) skip_github=true; shift ;;
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
prefix="${prefix:-${repo#*/}}"
# The config keys' namespace: the project name in Pulumi.yaml.
project=""
while IFS= read -r line; do
	case "$line" in "name: "*) project="${line#name: }"; break ;; esac
done <"${BASH_SOURCE[0]%/*}/../Pulumi.yaml"
if ! [[ "$prefix" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,40}$ ]]; then
	echo "--prefix must be 1-41 letters, digits, '_' or '-', starting with a letter or digit, got: $prefix" >&2
	exit 2
fi
IFS=, read -r -a stack_list <<<"$stacks"
if [ ${#stack_list[@]} -eq 0 ]; then
	echo "--stacks must name at least one stack, got: $stacks" >&2
	exit 2
fi
for stack in "${stack_list[@]}"; do
	if ! [[ "$stack" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || [ "$stack" = preview ] || [ "$stack" = e2e-runs ] || [ "$stack" = cluster-identities ]; then
		echo "--stacks: each stack must be 1-31 lower-case letters, digits or '-' (and not 'preview', 'e2e-runs' or 'cluster-identities', the names of the preview identity, the end-to-end runs' group and the clusters' identities' group), got: $stack" >&2
		exit 2
	fi
	if [[ "$stack" == *-address ]]; then
		echo "--stacks: a stack may not end in '-address' (rg-<prefix>-<stack>-address is another stack's Gateway address group), got: $stack" >&2
		exit 2
	fi
	if [ "$group" = "rg-$prefix-$stack" ]; then
		echo "--resource-group $group is stack $stack's own group: its identity may write there, so it could add federated credentials to the pipeline's identities; name another group" >&2
		exit 2
	fi
done
GUID='[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
IFS=, read -r -a deployer_list <<<"$deployers"
for entry in ${deployer_list[@]+"${deployer_list[@]}"}; do
	if ! [[ "$entry" =~ ^([a-z0-9-]+):($GUID)$ ]]; then
		echo "--deployers: each must be <stack>:<Entra object id> (the stack that person deploys; a GUID: az ad signed-in-user show --query id -o tsv), got: $entry" >&2
		exit 2
	fi
	case ",$stacks," in
	*",${entry%%:*},"*) ;;
	*)
		echo "--deployers: $entry names stack ${entry%%:*}, which is not among --stacks ($stacks)" >&2
		exit 2
		;;
	esac
done
# The people on stack $1's deployers list, one object id per line.
people_of() {
	local entry
	for entry in ${deployer_list[@]+"${deployer_list[@]}"}; do
		if [ "${entry%%:*}" = "$1" ]; then printf '%s\n' "${entry#*:}"; fi
	done
}
if [ -n "$state_account$state_vault" ]; then
	if ! [[ "$state_account" =~ ^[a-z0-9]{3,24}$ ]]; then
		echo "--state-account must be 3-24 lower-case letters and digits (a storage account name), got: ${state_account:-nothing}" >&2
		exit 2
	fi
	if ! [[ "$state_vault" =~ ^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$ ]] || [[ "$state_vault" == *--* ]]; then
		echo "--state-vault must be 3-24 letters, digits or single '-', starting with a letter (a Key Vault name), got: ${state_vault:-nothing}" >&2
		exit 2
	fi
fi
IFS=, read -r -a reviewer_list <<<"$reviewers"
for r in ${reviewer_list[@]+"${reviewer_list[@]}"}; do
	if ! [[ "$r" =~ ^user:[A-Za-z0-9-]+$ || "$r" =~ ^team:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
		echo "--reviewers: each must be user:<login> or team:<org>/<slug>, got: $r" >&2
		exit 2
	fi
done
if [ ${#stack_list[@]} -gt 1 ] && [ ${#reviewer_list[@]} -eq 0 ]; then
	echo "--reviewers is required with more than one stack: ${stack_list[*]:1} deploy only after someone other than the author approves (user:<login> or team:<org>/<slug>)" >&2
	exit 2
fi
if [ -n "$repo_ids" ] && ! [[ "$repo_ids" =~ ^[0-9]+/[0-9]+$ ]]; then
	echo "--repo-ids must be OWNER_ID/REPO_ID, two numbers (gh api repos/$repo shows them as .owner.id and .id), got: $repo_ids" >&2
	exit 2
fi
if ! $name_subjects && [ -z "$repo_ids" ] && $skip_github && ! $dry_run; then
	echo "--skip-github needs --repo-ids (or --name-subjects): the subjects carry the repository's ids, which are read with gh" >&2
	exit 2
fi

# Built-in role ids, the same in every tenant.
READER=acdd72a7-3385-48ef-bd42-f606fba81ae7
AKS_CLUSTER_USER=4abbcc35-e782-43d8-92c5-2d3f1bd2253f
AKS_RBAC_READER=7f6c6a51-bcf8-42ba-9220-52d62157d7db
CONTRIBUTOR=b24988ac-6180-42a0-ab88-20f7382dd24c
RBAC_ADMIN=f58310d9-a9f6-439a-9e8d-f62e7b41a168
OWNER=8e3af657-a8ff-443c-a75c-2fe8c4bcb635
ACR_PULL=7f951dda-4ed3-4680-a7ca-43fe172d538d
ACR_PUSH=8311e382-0749-4cb8-b61a-304f252e45ec
AKS_RBAC_CLUSTER_ADMIN=b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b
# "Container Registry Data Importer and Data Reader": importImage, pull and read on a registry.
ACR_IMPORTER=577a9874-89fd-4f24-9dbd-b5034d0ad23a
# What the stack grants the AKS cluster's identity on its node subnet, and, serving on a hostname, on
# the group that holds the Gateway's static address (the cloud provider lists the addresses there).
NETWORK_CONTRIBUTOR=4d97b98b-1d4f-4787-a291-c67834d212e7
# What the stack grants the Gateway's certificate reader on the certificate's secret (a vault in the
# stack's group; one elsewhere needs the same right granted there).
KEY_VAULT_SECRETS_USER=4633458b-17de-408a-b874-0445c86b69e6
# Using a user-assigned identity for a resource (a cluster's control plane and kubelet), and reading it.
MANAGED_IDENTITY_OPERATOR=f1a07417-d97a-45cb-824c-7a7467783830
# The state per environment (--state-account): its container's blobs, and wrapping with its key.
STORAGE_BLOB_DATA_CONTRIBUTOR=ba92f5b4-2d11-453d-a403-e96b0029c9fe
KEY_VAULT_CRYPTO_USER=12338af0-0e69-4776-bea7-57ae8d297424
# The resource providers the stacks create resources of, directly or through AKS.
PROVIDERS=(Microsoft.ContainerService Microsoft.ContainerRegistry Microsoft.OperationalInsights Microsoft.Insights
	Microsoft.OperationsManagement Microsoft.Compute Microsoft.Network Microsoft.Storage Microsoft.ManagedIdentity)

run() {
	if $dry_run; then
		printf '%q ' "$@"
		printf '\n'
	else
		"$@"
	fi
}
github() {
	if $dry_run || $skip_github; then
		printf '%q ' "$@"
		printf '\n'
	else
		"$@"
	fi
}
# Runs a GitHub read (gh api ... --jq ...) and puts what it printed in $answer; without GitHub
# (--dry-run, --skip-github) prints the command and puts $1 there instead.
ask() {
	local placeholder="$1"
	shift
	if $dry_run || $skip_github; then
		printf '%q ' "$@"
		printf '\n'
		answer="$placeholder"
	else
		answer="$("$@")"
	fi
}
# Sends a JSON body (printed too, for --dry-run and --skip-github): github_json METHOD PATH JSON.
github_json() {
	local file
	file="$body_dir/$(printf '%s' "$2" | tr -c 'A-Za-z0-9' _).json"
	printf '%s\n' "$3" >"$file"
	if $dry_run || $skip_github; then printf '# %s body: %s\n' "$2" "$3"; fi
	github gh api --method "$1" "$2" --input "$file" --silent
}
if ! $dry_run && ! $skip_github && ! command -v gh >/dev/null; then
	echo "the GitHub CLI (gh) is not installed: install it and run gh auth login, or pass --skip-github" >&2
	exit 2
fi
body_dir="$(mktemp -d)"
trap 'rm -rf "$body_dir"' EXIT

stack_group() { printf 'rg-%s-%s' "$prefix" "$1"; }
group_scope() { printf '/subscriptions/%s/resourceGroups/%s' "$subscription" "$1"; }

# Creates identity $1 in the identities' group, trusting exactly the GitHub OIDC subject $2;
# sets principal_id and client_id.
identity() {
	run az identity create --resource-group "$group" --name "$1" --location "$location" --output none
	run az identity federated-credential create --resource-group "$group" --identity-name "$1" \
		--name github --issuer https://token.actions.githubusercontent.com \
		--subject "$2" --audiences api://AzureADTokenExchange --output none
	read_identity "$group" "$1"
}

# Sets principal_id and client_id of identity $2 in group $1 (placeholders in a dry run).
read_identity() {
	if $dry_run; then
		principal_id="<principal id of $2>"
		client_id="<client id of $2>"
	else
		principal_id="$(az identity show -g "$1" -n "$2" --query principalId -o tsv)"
		client_id="$(az identity show -g "$1" -n "$2" --query clientId -o tsv)"
	fi
}

# Creates identity $1 in the clusters' identities' group, federated with nothing (a stack federates
# its certificate reader with its own cluster); sets principal_id, client_id and identity_id.
cluster_identity() {
	run az identity create --resource-group "$cluster_group" --name "$1" --location "$location" --output none
	identity_id="$(group_scope "$cluster_group")/providers/Microsoft.ManagedIdentity/userAssignedIdentities/$1"
	read_identity "$cluster_group" "$1"
}

# Azure Policy built-in definitions (Azure/azure-policy built-in-policies/policyDefinitions), each
# assigned with effect Deny on every group a stack identity writes: Contributor could otherwise turn
# on a credential Entra does not control (the registry's admin user, its anonymous pull, its
# repository-scoped tokens with passwords, the cluster's local accounts). Contributor cannot
# remove a policy assignment (Microsoft.Authorization/*/Write and Delete are not among its actions).
DENY_POLICIES=(
	"dc921057-6b28-4fbe-9b83-f7bec05db6c2:deny-acr-admin-user"         # Container Registry/ACR_AdminAccountDisabled_AuditDeny.json
	"9f2dea28-e834-476c-99c5-3507b4728395:deny-acr-anonymous-pull"     # Container Registry/ACR_AnonymousPullDisabled_AuditDeny.json
	"ff05e24e-195c-447e-b322-5e90c9f9f366:deny-acr-scoped-tokens"      # Container Registry/ACR_TokenDisabled_AuditDeny.json
	"993c2fcd-2b29-49d2-9eb0-df2c3a730c32:deny-aks-local-accounts"     # Kubernetes/AKS_DisableLocalAccounts_Deny.json
)
# The resource types a stack's group may hold (those Azure Policy's Indexed mode sees: with a
# location and tags): what the program declares there (test/trust.test.ts keeps this list equal to
# them), a private endpoint's network interface, which Azure makes beside it, and the Container
# Insights solution, which the monitoring add-on may add to its workspace's group. Nothing that
# runs code as an identity (a VM, a container group, an ACR task): Contributor could otherwise
# start one with an identity the stack may use, which keeps running after the job. With
# --stack-made-identities the stack also makes its cluster's identities there.
STACK_RESOURCE_TYPES=(
	Microsoft.ContainerService/managedClusters
	Microsoft.ContainerRegistry/registries
	Microsoft.OperationalInsights/workspaces
	Microsoft.Insights/dataCollectionRules
	Microsoft.Network/virtualNetworks
	Microsoft.Network/privateEndpoints
	Microsoft.Network/networkInterfaces
	Microsoft.Network/privateDnsZones
	Microsoft.Network/privateDnsZones/virtualNetworkLinks
	Microsoft.Network/publicIPAddresses
	Microsoft.OperationsManagement/solutions
)
# Assigns every DENY_POLICIES definition to scope $1 with effect Deny, and limits the federated
# credentials an identity there may be given to this tenant's AKS clusters (two built-in
# definitions, Managed Identity/ManagedIdentity_FIC_LimitToWellknownIssuers.json and
# ManagedIdentity_FIC_LimitToAzureKubernetesIssuer.json): a stack identity that may create
# identities in its group cannot federate one with GitHub, another cloud or another tenant to
# keep access after its job. It also allows there only STACK_RESOURCE_TYPES (the built-in
# "Allowed resource types", General/AllowedResourceTypes_Deny.json, whose effect is deny).
deny_local_credentials() {
	local types="" t
	if [ $# -gt 1 ]; then
		# The types given instead (a Gateway address group: the address alone).
		for t in "${@:2}"; do types="$types\"$t\","; done
	else
		for t in "${STACK_RESOURCE_TYPES[@]}"; do types="$types\"$t\","; done
		if $stack_made_identities; then types="$types\"Microsoft.ManagedIdentity/userAssignedIdentities\","; fi
	fi
	run az policy assignment create --name allowed-resource-types --scope "$1" --policy a08ec900-254a-4555-9bf5-e42af04b5c5c \
		--params "{\"listOfResourceTypesAllowed\":{\"value\":[${types%,}]}}" --output none
	local p
	for p in "${DENY_POLICIES[@]}"; do
		run az policy assignment create --name "${p#*:}" --scope "$1" --policy "${p%%:*}" \
			--params '{"effect":{"value":"Deny"}}' --output none
	done
	run az policy assignment create --name limit-federation-to-aks --scope "$1" --policy 2571b7c3-3056-4a61-b00a-9bc5232234f5 \
		--params '{"effect":{"value":"Deny"},"allowFederatedCredentials":{"value":true},"allowAKS":{"value":true},"allowGitHub":{"value":false},"allowAWS":{"value":false},"allowGCS":{"value":false},"allowedIssuerExceptions":{"value":[]}}' --output none
	run az policy assignment create --name limit-federation-to-tenant --scope "$1" --policy ae62c456-33de-4dc8-b100-7ce9028a7d99 \
		--params "{\"effect\":{\"value\":\"Deny\"},\"allowedTenants\":{\"value\":[\"$tenant_id\"]}}" --output none
}

# Gives person (a user) $1 role $2 on scope $3.
assign_person() {
	run az role assignment create --assignee-object-id "$1" --assignee-principal-type User \
		--role "$2" --scope "$3" --output none
}

# Gives principal $1 role $2 on scope $3, with ABAC condition $4 when given.
assign() {
	if [ -n "${4:-}" ]; then
		run az role assignment create --assignee-object-id "$1" --assignee-principal-type ServicePrincipal \
			--role "$2" --scope "$3" --condition "$4" --condition-version 2.0 --output none
	else
		run az role assignment create --assignee-object-id "$1" --assignee-principal-type ServicePrincipal \
			--role "$2" --scope "$3" --output none
	fi
}

run az account set --subscription "$subscription"
for namespace in "${PROVIDERS[@]}"; do
	run az provider register --namespace "$namespace" --output none
done
run az group create --name "$group" --location "$location" --output none
if $dry_run; then tenant_id="<tenant id>"; else tenant_id="$(az account show --query tenantId -o tsv)"; fi

# The repository as GitHub's subjects name it: with its owner's and its own immutable ids, unless
# --name-subjects. GitHub documents the format (owner@<owner id>/name@<repository id>) under
# "Immutable subject claims"; a subject with names alone matches whoever holds the names next.
if $name_subjects; then
	subject_repo="$repo"
else
	if [ -z "$repo_ids" ]; then
		ask "<owner id>/<repository id>" gh api "repos/$repo" --jq '"\(.owner.id)/\(.id)"'
		repo_ids="$answer"
	fi
	subject_repo="${repo%%/*}@${repo_ids%%/*}/${repo#*/}@${repo_ids#*/}"
fi

identity "$prefix-preview" "repo:$subject_repo:pull_request"
preview_principal="$principal_id" preview_client="$client_id"

# What a stack identity may assign, and to whom (an ABAC condition on its RBAC Administrator role;
# Microsoft's "Constrain roles and specific groups/principal types" examples): the roles that open
# the registry and the cluster to people only to the stack's deployers, the roles the stack gives
# its own workloads only to service principals (managed identities), nothing else to anyone.
# Removing is limited by role alone: the stack must be able to revoke someone taken off its list.
deployer_roles="$ACR_PUSH, $ACR_IMPORTER, $AKS_RBAC_CLUSTER_ADMIN"
workload_roles="$ACR_PULL, $NETWORK_CONTRIBUTOR, $KEY_VAULT_SECRETS_USER"
assignment="Microsoft.Authorization/roleAssignments"
# Each workload role goes to the one cluster identity it is for ($2: "<control plane>|<kubelet>|
# <certificate reader>" principal ids). With --stack-made-identities ($2 empty), to any service
# principal but the pipeline's ($3: the preview's and every stack's), so a stack identity cannot
# grant itself, or another stage's identity, the secrets of a vault in its group
# ("ForAnyOfAllValues:GuidNotEquals": the principal differs from every one listed).
# One way a condition lets its holder assign: roles $1 to principals $2 alone.
to_principals() {
	printf '%s' "(@Request[$assignment:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$1} AND @Request[$assignment:PrincipalId] ForAnyOfAnyValues:GuidEquals {$2})"
}
# Roles $1 to service principals, none of those in $2.
to_service_principals_but() {
	printf '%s' "(@Request[$assignment:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$1} AND @Request[$assignment:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'} AND @Request[$assignment:PrincipalId] ForAnyOfAllValues:GuidNotEquals {$2})"
}
# The whole condition: writing as `$1` allows, deleting assignments of roles $2 alone.
condition_of() {
	printf '%s' "((!(ActionMatches{'$assignment/write'})) OR $1) AND ((!(ActionMatches{'$assignment/delete'})) OR (@Resource[$assignment:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$2}))"
}
condition_for() {
	local workload control_plane kubelet reader
	if [ -n "$2" ]; then
		IFS='|' read -r control_plane kubelet reader <<<"$2"
		workload="$(to_principals "$ACR_PULL" "$kubelet") OR $(to_principals "$NETWORK_CONTRIBUTOR" "$control_plane") OR $(to_principals "$KEY_VAULT_SECRETS_USER" "$reader")"
	else
		workload="$(to_service_principals_but "$workload_roles" "$3")"
	fi
	condition_of "$(to_principals "$deployer_roles" "$1") OR $workload" "$deployer_roles, $workload_roles"
}

# What a stack identity may assign in its Gateway address group: Network Contributor to its
# cluster's control plane ($1 as for condition_for: "<control plane>|…"), or with
# --stack-made-identities to any service principal but the pipeline's ($2); nothing else.
address_condition_for() {
	local control_plane
	if [ -n "$1" ]; then
		IFS='|' read -r control_plane _ <<<"$1"
		condition_of "$(to_principals "$NETWORK_CONTRIBUTOR" "$control_plane")" "$NETWORK_CONTRIBUTOR"
	else
		condition_of "$(to_service_principals_but "$NETWORK_CONTRIBUTOR" "$2")" "$NETWORK_CONTRIBUTOR"
	fi
}

# The clusters' identities, per stack and for the e2e runs: made before the stack identities'
# conditions, which name them. Parallel to stack_list, then the e2e runs' at the end.
cluster_group="rg-$prefix-cluster-identities"
FIC_WRITER="$prefix federated credential writer"
cluster_principals=() cluster_ids=()
if ! $stack_made_identities; then
	run az group create --name "$cluster_group" --location "$location" --output none
	# Only what a stack does to its certificate reader: read it, and write and delete its federated
	# credentials (whom it trusts: the stack's cluster's service account), nothing of the identity itself.
	fic_writer_definition="{\"Name\":\"$FIC_WRITER\",\"IsCustom\":true,\"Description\":\"Read a user-assigned identity and write its federated credentials.\",\"Actions\":[\"Microsoft.ManagedIdentity/userAssignedIdentities/read\",\"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read\",\"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write\",\"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete\"],\"NotActions\":[],\"AssignableScopes\":[\"$(group_scope "$cluster_group")\"]}"
	fic_writer_read() { az role definition list --custom-role-only true --name "$FIC_WRITER" --scope "$(group_scope "$cluster_group")" --query '[0].name' -o tsv; }
	if $dry_run || [ -z "$(fic_writer_read)" ]; then
		run az role definition create --role-definition "$fic_writer_definition" --output none
		# A new definition takes a while to be found by name, which the assignments below use.
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
			if $dry_run || [ -n "$(fic_writer_read)" ]; then break; fi
			sleep 10
		done
	fi
	for cluster_of in "${stack_list[@]}" e2e-runs; do
		cluster_identity "$prefix-$cluster_of-control-plane"
		control_plane="$principal_id" control_plane_id="$identity_id"
		cluster_identity "$prefix-$cluster_of-kubelet"
		kubelet="$principal_id" kubelet_id="$identity_id"
		cluster_identity "$prefix-$cluster_of-certificate-reader"
		cluster_principals+=("$control_plane|$kubelet|$principal_id")
		cluster_ids+=("$control_plane_id|$kubelet_id|$identity_id")
		# AKS: the control plane must hold Managed Identity Operator on a kubelet identity outside the
		# node resource group (use-managed-identity.md, "Use a pre-created kubelet managed identity").
		assign "$control_plane" "$MANAGED_IDENTITY_OPERATOR" "$kubelet_id"
	done
fi
# The stackIdentities setting of entry $1 (a stack's, or the e2e runs' after them).
stack_identities_json() {
	local control_plane_id kubelet_id reader_id
	IFS='|' read -r control_plane_id kubelet_id reader_id <<<"${cluster_ids[$1]}"
	printf '{"controlPlane":"%s","kubelet":"%s","certificateReader":"%s"}' "$control_plane_id" "$kubelet_id" "$reader_id"
}
# What principal $1 (a person when $2 is User) may do with the cluster identities of entry $3.
use_cluster_identities() {
	local control_plane_id kubelet_id reader_id grant=assign
	IFS='|' read -r control_plane_id kubelet_id reader_id <<<"${cluster_ids[$3]}"
	if [ "$2" = User ]; then grant=assign_person; fi
	"$grant" "$1" "$MANAGED_IDENTITY_OPERATOR" "$control_plane_id"
	"$grant" "$1" "$MANAGED_IDENTITY_OPERATOR" "$kubelet_id"
	"$grant" "$1" "$FIC_WRITER" "$reader_id"
}

# Parallel to stack_list (bash 3.2 has no associative arrays). Every identity first: each stack
# identity's condition names them all.
stack_principal=() stack_client=()
for stack in "${stack_list[@]}"; do
	run az group create --name "$(stack_group "$stack")" --location "$location" --output none
	deny_local_credentials "$(group_scope "$(stack_group "$stack")")"
	# The Gateway's static address, alone (gatewayAddressGroup): the cluster's identity gets Network
	# Contributor where the cloud provider lists the addresses, which reaches nothing else here.
	run az group create --name "$(stack_group "$stack")-address" --location "$location" --output none
	deny_local_credentials "$(group_scope "$(stack_group "$stack")-address")" Microsoft.Network/publicIPAddresses
	identity "$prefix-$stack" "repo:$subject_repo:environment:$stack"
	stack_principal+=("$principal_id") stack_client+=("$client_id")
done
pipeline_ids="$preview_principal"
for id in "${stack_principal[@]}"; do pipeline_ids="$pipeline_ids, $id"; done
for i in "${!stack_list[@]}"; do
	stack="${stack_list[$i]}" principal_id="${stack_principal[$i]}"
	scope="$(group_scope "$(stack_group "$stack")")"
	if $owner; then
		assign "$principal_id" "$OWNER" "$scope"
		assign "$principal_id" "$OWNER" "$scope-address"
	else
		ids="$principal_id"
		while IFS= read -r id; do [ -n "$id" ] && ids="$ids, $id"; done <<<"$(people_of "$stack")"
		assign "$principal_id" "$CONTRIBUTOR" "$scope"
		assign "$principal_id" "$RBAC_ADMIN" "$scope" "$(condition_for "$ids" "${cluster_principals[$i]:-}" "$pipeline_ids")"
		# Its address group: Network Contributor to its cluster's control plane, nothing else to anyone.
		assign "$principal_id" "$CONTRIBUTOR" "$scope-address"
		assign "$principal_id" "$RBAC_ADMIN" "$scope-address" "$(address_condition_for "${cluster_principals[$i]:-}" "$pipeline_ids")"
	fi
	if ! $stack_made_identities; then
		use_cluster_identities "$principal_id" ServicePrincipal "$i"
		while IFS= read -r id; do
			if [ -n "$id" ]; then use_cluster_identities "$id" User "$i"; fi
		done <<<"$(people_of "$stack")"
	fi
done

# The end-to-end run (e2e.yml, in the first stack's environment, as its identity) deploys into a
# group of the runs' own, tagged as such: each run starts by emptying it whole through ARM (what a
# cancelled run left), so it must hold nothing else, and a lost run's stack is never destroyed
# through its state (e2e/sweep.ts). Its grants are the first stack's, on that group alone.
e2e_group="$(stack_group e2e-runs)"
run az group create --name "$e2e_group" --location "$location" --tags purpose=e2e-runs --output none
deny_local_credentials "$(group_scope "$e2e_group")"
if $owner; then
	assign "${stack_principal[0]}" "$OWNER" "$(group_scope "$e2e_group")"
else
	assign "${stack_principal[0]}" "$CONTRIBUTOR" "$(group_scope "$e2e_group")"
	assign "${stack_principal[0]}" "$RBAC_ADMIN" "$(group_scope "$e2e_group")" "$(condition_for "${stack_principal[0]}" "${cluster_principals[${#stack_list[@]}]:-}" "$pipeline_ids")"
fi
if ! $stack_made_identities; then use_cluster_identities "${stack_principal[0]}" ServicePrincipal "${#stack_list[@]}"; fi

# State per environment, where the Pulumi edition cannot scope a token to one stack: each stack's
# state in a container of its own, its secrets wrapped with a key of its own, each usable by that
# stack's identity and deployers alone. No shared key or public blob access; versions and deleted
# blobs kept 30 days, so a bad write can be undone; the vault purge-protected.
state_group="rg-$prefix-state"
if [ -n "$state_account" ]; then
	run az group create --name "$state_group" --location "$location" --output none
	run az storage account create --name "$state_account" --resource-group "$state_group" --location "$location" \
		--sku Standard_ZRS --kind StorageV2 --min-tls-version TLS1_2 --https-only true \
		--allow-blob-public-access false --allow-shared-key-access false --output none
	run az storage account blob-service-properties update --account-name "$state_account" --resource-group "$state_group" \
		--enable-versioning true --enable-delete-retention true --delete-retention-days 30 \
		--enable-container-delete-retention true --container-delete-retention-days 30 --output none
	run az keyvault create --name "$state_vault" --resource-group "$state_group" --location "$location" \
		--enable-rbac-authorization true --enable-purge-protection true --retention-days 90 --output none
	for i in "${!stack_list[@]}"; do
		stack="${stack_list[$i]}"
		# Create only: ARM's container create (BlobContainers_Create) is not an update, and this script may run again.
		exists=false
		if ! $dry_run; then
			exists="$(az storage container-rm exists --storage-account "$state_account" --resource-group "$state_group" --name "$stack" --query exists -o tsv)"
		fi
		if [ "$exists" != true ]; then
			run az storage container-rm create --storage-account "$state_account" --resource-group "$state_group" \
				--name "$stack" --public-access off --output none
		fi
		# The key through ARM (Keys - Create If Not Exist): the person running this needs no role on the vault's data.
		key_scope="$(group_scope "$state_group")/providers/Microsoft.KeyVault/vaults/$state_vault/keys/$stack"
		run az rest --method put --url "https://management.azure.com$key_scope?api-version=2023-07-01" \
			--body '{"properties":{"kty":"RSA","keySize":3072}}' --output none
		container_scope="$(group_scope "$state_group")/providers/Microsoft.Storage/storageAccounts/$state_account/blobServices/default/containers/$stack"
		assign "${stack_principal[$i]}" "$STORAGE_BLOB_DATA_CONTRIBUTOR" "$container_scope"
		assign "${stack_principal[$i]}" "$KEY_VAULT_CRYPTO_USER" "$key_scope"
		while IFS= read -r id; do
			if [ -n "$id" ]; then
				assign_person "$id" "$STORAGE_BLOB_DATA_CONTRIBUTOR" "$container_scope"
				assign_person "$id" "$KEY_VAULT_CRYPTO_USER" "$key_scope"
			fi
		done <<<"$(people_of "$stack")"
	done
fi

# What pulumi preview of the first stack reads (pull requests preview that one alone): the resources,
# the cluster's user kubeconfig, the Kubernetes objects.
previewed_scope="$(group_scope "$(stack_group "${stack_list[0]}")")"
for role in "$READER" "$AKS_CLUSTER_USER" "$AKS_RBAC_READER"; do
	assign "$preview_principal" "$role" "$previewed_scope"
done
# And that stack's cluster identities, which the program reads before it declares anything.
if ! $stack_made_identities; then
	IFS='|' read -r -a previewed_identities <<<"${cluster_ids[0]}"
	for id in "${previewed_identities[@]}"; do assign "$preview_principal" "$READER" "$id"; done
fi
# The first stack builds the images; each later one imports the digests the stack before it
# deployed (imageSource promote, promoteFrom that stack), which needs ACR's importer role on that
# stack's registry, granted on its group: a chain dev → qa → prod, one stage at a time.
for i in "${!stack_list[@]}"; do
	if [ "$i" -gt 0 ]; then
		assign "${stack_principal[$i]}" "$ACR_IMPORTER" "$(group_scope "$(stack_group "${stack_list[$((i - 1))]}")")"
	fi
done

# GitHub. Required reviewers: each login or team resolved to its id, as the environments API takes them.
reviewer_json=""
for r in ${reviewer_list[@]+"${reviewer_list[@]}"}; do
	case "$r" in
		user:*) ask "<id of $r>" gh api "users/${r#user:}" --jq .id; type=User ;;
		team:*)
			team="${r#team:}"
			ask "<id of $r>" gh api "orgs/${team%%/*}/teams/${team#*/}" --jq .id
			type=Team
			;;
	esac
	if [[ "$answer" =~ ^[0-9]+$ ]]; then id_json="$answer"; else id_json="\"$answer\""; fi
	reviewer_json="${reviewer_json:+$reviewer_json,}{\"type\":\"$type\",\"id\":$id_json}"
done

# An environment per stack that only main may deploy to, holding its identity's client id; no
# administrator bypasses it, and every stack after the first waits for a reviewer who is not the
# run's author. A job can obtain a token for its environment's subject only by running there, so a
# branch cannot deploy.
for i in "${!stack_list[@]}"; do
	stack="${stack_list[$i]}"
	if [ "$i" -gt 0 ]; then
		reviewed=",\"prevent_self_review\":true,\"reviewers\":[$reviewer_json]"
	else
		reviewed=""
	fi
	github_json PUT "repos/$repo/environments/$stack" \
		"{\"can_admins_bypass\":false,\"deployment_branch_policy\":{\"protected_branches\":false,\"custom_branch_policies\":true}$reviewed}"
	ask "" gh api "repos/$repo/environments/$stack/deployment-branch-policies" --jq '.branch_policies[] | select(.type == "branch" and .name == "main") | .id'
	if [ -z "$answer" ]; then
		github gh api --method POST "repos/$repo/environments/$stack/deployment-branch-policies" -f name=main -f type=branch --silent
	fi
	github gh variable set AZURE_CLIENT_ID --repo "$repo" --env "$stack" --body "${stack_client[$i]}"
	if [ -n "$state_account" ]; then
		github gh variable set PULUMI_BACKEND_URL --repo "$repo" --env "$stack" --body "azblob://$stack?storage_account=$state_account"
		github gh variable set PULUMI_SECRETS_PROVIDER --repo "$repo" --env "$stack" --body "azurekeyvault://$state_vault.vault.azure.net/keys/$stack"
	fi
done
# Where the end-to-end run (e2e.yml, in the first stack's environment) deploys: the runs' own group,
# with the runs' own cluster identities.
github gh variable set E2E_RESOURCE_GROUP --repo "$repo" --env "${stack_list[0]}" --body "$e2e_group"
if ! $stack_made_identities; then
	github gh variable set E2E_STACK_IDENTITIES --repo "$repo" --env "${stack_list[0]}" --body "$(stack_identities_json "${#stack_list[@]}")"
fi
github gh variable set AZURE_PREVIEW_CLIENT_ID --repo "$repo" --body "$preview_client"
github gh variable set AZURE_TENANT_ID --repo "$repo" --body "$tenant_id"
github gh variable set AZURE_SUBSCRIPTION_ID --repo "$repo" --body "$subscription"

# main changes only through a reviewed pull request, for everyone: no bypass actors.
RULESET="main: reviewed changes only"
ruleset_json="{\"name\":\"$RULESET\",\"target\":\"branch\",\"enforcement\":\"active\",\"bypass_actors\":[],\"conditions\":{\"ref_name\":{\"include\":[\"refs/heads/main\"],\"exclude\":[]}},\"rules\":[{\"type\":\"deletion\"},{\"type\":\"non_fast_forward\"},{\"type\":\"pull_request\",\"parameters\":{\"required_approving_review_count\":1,\"dismiss_stale_reviews_on_push\":true,\"require_code_owner_review\":true,\"require_last_push_approval\":true,\"required_review_thread_resolution\":false}}]}"
ask "" gh api "repos/$repo/rulesets" --jq ".[] | select(.name == \"$RULESET\") | .id"
if [ -n "$answer" ]; then
	ruleset_id="$answer"
	github_json PUT "repos/$repo/rulesets/$ruleset_id" "$ruleset_json"
else
	github_json POST "repos/$repo/rulesets" "$ruleset_json"
	ask "<ruleset id>" gh api "repos/$repo/rulesets" --jq ".[] | select(.name == \"$RULESET\") | .id"
	ruleset_id="$answer"
fi

# Read every setting back: a plan without a feature (required reviewers and rulesets on private
# repositories need a paid plan) or a token without the right can leave one unset without an error.
missing=()
for i in "${!stack_list[@]}"; do
	stack="${stack_list[$i]}"
	if [ "$i" -gt 0 ]; then reviewed=true; else reviewed=false; fi
	ask "" gh api "repos/$repo/environments/$stack" --jq "$reviewed as \$reviewed | [
		(if .can_admins_bypass != false then \"administrators can bypass its rules\" else empty end),
		(if .deployment_branch_policy.protected_branches != false or .deployment_branch_policy.custom_branch_policies != true then \"it does not admit selected branches only\" else empty end),
		(if \$reviewed then ([.protection_rules[]? | select(.type == \"required_reviewers\")] as \$rules |
			if (\$rules | length) == 0 or ((\$rules[0].reviewers // []) | length) == 0 then \"it has no required reviewers\"
			elif \$rules[0].prevent_self_review != true then \"its reviewers may approve their own runs\"
			else empty end) else empty end)
	] | .[]"
	while IFS= read -r problem; do [ -n "$problem" ] && missing+=("environment $stack: $problem"); done <<<"$answer"
	ask "branch:main" gh api "repos/$repo/environments/$stack/deployment-branch-policies" --jq '[.branch_policies[] | "\(.type):\(.name)"] | sort | join(",")'
	if [ "$answer" != "branch:main" ]; then missing+=("environment $stack: branches other than main may deploy (${answer:-none admitted})"); fi
done
# shellcheck disable=SC2016 # $types is jq's, not the shell's
ask "" gh api "repos/$repo/rulesets/$ruleset_id" --jq '[
	(if .enforcement != "active" then "it is not enforced" else empty end),
	(if (.bypass_actors // []) | length > 0 then "someone may bypass it" else empty end),
	(if (.conditions.ref_name.include // []) | index("refs/heads/main") == null then "it does not cover main" else empty end),
	(([.rules[].type]) as $types | ("deletion", "non_fast_forward", "pull_request") | select(($types | index(.)) == null) | "it lacks the \(.) rule"),
	(if ([.rules[] | select(.type == "pull_request") | .parameters.require_code_owner_review] | index(true)) == null then "it does not require review by the code owners" else empty end)
] | .[]'
while IFS= read -r problem; do [ -n "$problem" ] && missing+=("ruleset \"$RULESET\": $problem"); done <<<"$answer"
# The code owners whose review the ruleset requires (.github/CODEOWNERS, as main holds it): GitHub
# lists each line it cannot use ("List CODEOWNERS errors"), an owner that does not exist or cannot
# write the repository among them, and answers 404 when main has no such file.
if $dry_run || $skip_github; then
	ask "" gh api "repos/$repo/codeowners/errors" --jq '.errors[] | "line \(.line): \(.message | split("\n")[0])"'
elif ! answer="$(gh api "repos/$repo/codeowners/errors" --jq '.errors[] | "line \(.line): \(.message | split("\n")[0])"' 2>&1)"; then
	answer="GitHub read none on main ($answer); push it, naming your team, before running this again"
fi
while IFS= read -r problem; do [ -n "$problem" ] && missing+=(".github/CODEOWNERS: $problem"); done <<<"$answer"
if [ ${#missing[@]} -gt 0 ]; then
	echo "GitHub did not keep these settings (read back after setting them):" >&2
	for m in "${missing[@]}"; do echo "  - $m" >&2; done
	echo "Required reviewers, administrator bypass and rulesets need a public repository or a paid plan (docs/delivery-and-trust.md: Trust); fix them, then run again." >&2
	exit 1
fi

cat <<NEXT

Next:
1. Each stack deploys into the resource group made for it, and lists its identity as a deployer
   beside each person given for it with --deployers (none for a stack without):
NEXT
for i in "${!stack_list[@]}"; do
	stack="${stack_list[$i]}"
	cat <<STACK
     # Pulumi.$stack.yaml
     $project:resourceGroup: $(stack_group "$stack")
     # with a hostname: $project:gatewayAddressGroup: $(stack_group "$stack")-address
     $project:deployers:
       - objectId: ${stack_principal[$i]}
         type: ServicePrincipal
STACK
	while IFS= read -r id; do
		[ -n "$id" ] && printf '       - objectId: %s\n         type: User\n' "$id"
	done <<<"$(people_of "$stack")"
	if ! $stack_made_identities; then
		printf "     %s:stackIdentities: '%s'\n" "$project" "$(stack_identities_json "$i")"
	fi
done
if ! $stack_made_identities; then
	cat <<NEXT
   With stackIdentities, its cluster runs as the identities made for it here, the only ones its
   identity may grant AcrPull, Network Contributor or Key Vault Secrets User to; a cluster that
   exists already moves its nodes to the new kubelet identity by upgrading every node pool (or run
   this again with --stack-made-identities and leave the setting out).
NEXT
fi
cat <<NEXT
   Without a deployers list a stack grants only whoever ran it first, and the pipeline's first run
   stops and says so instead of revoking that person. Someone not given with --deployers for a
   stack cannot be granted there by the pipeline: run this again with them added. A stack with no
   person on its list has no standing human admin: reach it in an emergency through an eligible,
   time-bound assignment (docs/who-may-deploy.md: Break-glass).
NEXT
if [ -n "$state_account" ]; then
	cat <<NEXT
2. State per environment in Azure Blob Storage (each environment's PULUMI_BACKEND_URL and
   PULUMI_SECRETS_PROVIDER are set): create each stack there once, signed in with az login as one
   of its deployers, and commit the stack file's new secretsprovider and encryptedkey:
NEXT
	for stack in "${stack_list[@]}"; do
		echo "     pulumi login 'azblob://$stack?storage_account=$state_account' && pulumi stack init $stack --secrets-provider 'azurekeyvault://$state_vault.vault.azure.net/keys/$stack'"
	done
	cat <<NEXT
   Pull requests get no preview then (set PULUMI_PREVIEW=off): a preview would need dev's state.
NEXT
else
	cat <<NEXT
2. Pulumi Cloud, with no stored token, a team token per job scoped to its own stack (Enterprise and
   Business Critical editions; on others, run this again with --state-account and --state-vault):
   register the OIDC issuer https://token.actions.githubusercontent.com in your organization
   (Settings > Access Management > OIDC Issuers) and add one policy per subject:
     repo:$subject_repo:pull_request -> a team token of a team that may only read stack ${stack_list[0]}
NEXT
	for stack in "${stack_list[@]}"; do
		echo "     repo:$subject_repo:environment:$stack -> a token of a team that may update stack $stack alone"
	done
	cat <<NEXT
   then: gh variable set PULUMI_ORGANIZATION --repo $repo --body <your organization>
   and:  gh variable set PULUMI_PREVIEW_TOKEN_SCOPE --repo $repo --body team:<that team>
   and, per environment: gh variable set PULUMI_TOKEN_SCOPE --repo $repo --env <stack> --body team:<its team>
   (deploy jobs without one stop; docs/delivery-and-trust.md, for what each edition gives).
NEXT
fi
