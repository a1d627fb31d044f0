#!/usr/bin/env bash
# Creates what the GitHub Actions pipeline signs in as, one Azure identity per trust level, with
# OpenID Connect only (user-assigned managed identities: no client secret exists to leak):
#
#   identity            trusts the GitHub OIDC subject          may
#   <prefix>-preview    repo:<repo>:pull_request                read each stack's resource group, list
#                                                               cluster user credentials, read Kubernetes
#   <prefix>-<stack>    repo:<repo>:environment:<stack>         write that stack's resource group only, and
#                                                               assign AcrPull, AcrPush, ACR's importer role
#                                                               and AKS RBAC Cluster Admin there only (an ABAC
#                                                               condition); every stack after the first also
#                                                               reads and imports the first stack's images
#                                                               (ACR's importer role on its group): the first
#                                                               stack builds, the others promote its digests
#
# It also creates each stack's resource group (so every scope exists before the first run),
# registers the resource providers the stacks use (subscription rights the identities do not
# get), and sets up GitHub with its CLI: an environment per stack that only main may deploy to,
# each holding its identity's client id, and the preview identity's client id for pull requests.
#
# --dry-run prints every command and runs none. Needs the Azure CLI signed in as someone who may
# create role assignments (az login) and, unless --skip-github, the GitHub CLI signed in with
# admin rights on the repository (gh auth login). Runs on bash 3.2 (macOS) and later, and may be
# run again: every step creates or updates.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 --repo OWNER/NAME --subscription ID --resource-group NAME [--location REGION]
          [--prefix NAME] [--stacks LIST] [--owner] [--skip-github] [--dry-run]

  --repo            the GitHub repository the pipeline runs in
  --subscription    Azure subscription the stacks deploy to
  --resource-group  resource group that holds the pipeline's identities (created if missing)
  --location        region of the resource groups and identities (default: westeurope)
  --prefix          prefix of identity and resource group names (default: the repository name)
  --stacks          comma-separated stacks the pipeline deploys, each with its own identity,
                    resource group and GitHub environment (default: dev,prod)
  --owner           grant each stack identity Owner on its resource group instead of Contributor
                    plus the constrained RBAC Administrator (simpler, but it could then grant any
                    role to anyone on that group)
  --skip-github     print the GitHub CLI commands instead of running them
  --dry-run         print every command, run nothing
USAGE
}

repo="" subscription="" group="" location="westeurope" prefix="" stacks="dev,prod" owner=false skip_github=false dry_run=false
while [ $# -gt 0 ]; do
	case "$1" in
		--repo) repo="${2:-}"; shift 2 ;;
		--subscription) subscription="${2:-}"; shift 2 ;;
		--resource-group) group="${2:-}"; shift 2 ;;
		--location) location="${2:-}"; shift 2 ;;
		--prefix) prefix="${2:-}"; shift 2 ;;
		--stacks) stacks="${2:-}"; shift 2 ;;
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
	if ! [[ "$stack" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || [ "$stack" = preview ]; then
		echo "--stacks: each stack must be 1-31 lower-case letters, digits or '-' (and not 'preview'), got: $stack" >&2
		exit 2
	fi
done

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
if ! $dry_run && ! $skip_github && ! command -v gh >/dev/null; then
	echo "the GitHub CLI (gh) is not installed: install it and run gh auth login, or pass --skip-github" >&2
	exit 2
fi

stack_group() { printf 'rg-%s-%s' "$prefix" "$1"; }
group_scope() { printf '/subscriptions/%s/resourceGroups/%s' "$subscription" "$1"; }

# Creates identity $1 in the identities' group, trusting exactly the GitHub OIDC subject $2;
# sets principal_id and client_id.
identity() {
	run az identity create --resource-group "$group" --name "$1" --location "$location" --output none
	run az identity federated-credential create --resource-group "$group" --identity-name "$1" \
		--name github --issuer https://token.actions.githubusercontent.com \
		--subject "$2" --audiences api://AzureADTokenExchange --output none
	if $dry_run; then
		principal_id="<principal id of $1>"
		client_id="<client id of $1>"
	else
		principal_id="$(az identity show -g "$group" -n "$1" --query principalId -o tsv)"
		client_id="$(az identity show -g "$group" -n "$1" --query clientId -o tsv)"
	fi
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

identity "$prefix-preview" "repo:$repo:pull_request"
preview_principal="$principal_id" preview_client="$client_id"

# The stack identity may assign exactly the roles the stack assigns; that it can do so only in its
# own resource group follows from where the RBAC Administrator role itself is assigned.
allowed="$ACR_PULL, $ACR_PUSH, $ACR_IMPORTER, $AKS_RBAC_CLUSTER_ADMIN, $NETWORK_CONTRIBUTOR, $KEY_VAULT_SECRETS_USER"
condition="((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$allowed})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$allowed}))"

# Parallel to stack_list (bash 3.2 has no associative arrays).
stack_principal=() stack_client=()
for stack in "${stack_list[@]}"; do
	scope="$(group_scope "$(stack_group "$stack")")"
	run az group create --name "$(stack_group "$stack")" --location "$location" --output none
	identity "$prefix-$stack" "repo:$repo:environment:$stack"
	stack_principal+=("$principal_id") stack_client+=("$client_id")
	if $owner; then
		assign "$principal_id" "$OWNER" "$scope"
	else
		assign "$principal_id" "$CONTRIBUTOR" "$scope"
		assign "$principal_id" "$RBAC_ADMIN" "$scope" "$condition"
	fi
	# What pulumi preview reads: the resources, the cluster's user kubeconfig, the Kubernetes objects.
	for role in "$READER" "$AKS_CLUSTER_USER" "$AKS_RBAC_READER"; do
		assign "$preview_principal" "$role" "$scope"
	done
done

# The first stack builds the images; each later one imports the digests it deployed (imageSource
# promote), which needs ACR's importer role on the first stack's registry, granted on its group.
source_scope="$(group_scope "$(stack_group "${stack_list[0]}")")"
for i in "${!stack_list[@]}"; do
	if [ "$i" -gt 0 ]; then assign "${stack_principal[$i]}" "$ACR_IMPORTER" "$source_scope"; fi
done

# GitHub: an environment per stack that only main may deploy to, holding its identity's client id.
# A job can obtain a token for repo:<repo>:environment:<stack> only by running in that environment,
# so a branch cannot deploy; required reviewers on prod are set in the repository's settings.
for i in "${!stack_list[@]}"; do
	stack="${stack_list[$i]}"
	github gh api --method PUT "repos/$repo/environments/$stack" \
		-F 'deployment_branch_policy[protected_branches]=false' -F 'deployment_branch_policy[custom_branch_policies]=true'
	# Answers 422 when main is already allowed, as on a second run.
	github gh api --method POST "repos/$repo/environments/$stack/deployment-branch-policies" -f name=main -f type=branch ||
		echo "(environment $stack: the branch policy for main exists already)"
	github gh variable set AZURE_CLIENT_ID --repo "$repo" --env "$stack" --body "${stack_client[$i]}"
	# The group the identity may write: where the end-to-end run (e2e.yml, in dev) deploys its stack.
	github gh variable set AZURE_RESOURCE_GROUP --repo "$repo" --env "$stack" --body "$(stack_group "$stack")"
done
github gh variable set AZURE_PREVIEW_CLIENT_ID --repo "$repo" --body "$preview_client"
github gh variable set AZURE_TENANT_ID --repo "$repo" --body "$tenant_id"
github gh variable set AZURE_SUBSCRIPTION_ID --repo "$repo" --body "$subscription"

cat <<NEXT

Next:
1. Each stack deploys into the resource group made for it, and lists its identity as a deployer
   beside each person who runs pulumi up by hand (their object id: az ad signed-in-user show --query id -o tsv):
NEXT
for i in "${!stack_list[@]}"; do
	stack="${stack_list[$i]}"
	cat <<STACK
     # Pulumi.$stack.yaml
     $project:resourceGroup: $(stack_group "$stack")
     $project:deployers:
       - objectId: ${stack_principal[$i]}
         type: ServicePrincipal
       - objectId: <your object id>
         type: User
STACK
done
cat <<NEXT
   Without a deployers list a stack grants only whoever ran it first, and the pipeline's first run
   stops and says so instead of revoking that person.
2. Pulumi Cloud, with no stored token: register the OIDC issuer https://token.actions.githubusercontent.com
   in your organization (Settings > Access Management > OIDC Issuers) and add one policy per subject:
     repo:$repo:pull_request -> a token that can read the stacks
NEXT
for i in "${!stack_list[@]}"; do
	stack="${stack_list[$i]}"
	if [ "$i" -gt 0 ]; then
		echo "     repo:$repo:environment:$stack -> a token that can update stack $stack and read stack ${stack_list[0]} (it promotes its images)"
	else
		echo "     repo:$repo:environment:$stack -> a token that can update stack $stack"
	fi
done
cat <<NEXT
   then: gh variable set PULUMI_ORGANIZATION --repo $repo --body <your organization>
   (README: Delivery, for the token type your Pulumi edition offers, and for a self-managed backend instead).
3. Add required reviewers to the prod environment: Settings > Environments > prod.
NEXT
