#!/usr/bin/env bash
# Check that imports point down the layer table of docs/ARCHITECTURE.md (design.md §2), and that the
# domain layers (L0-L3) never touch HTTP, environment variables or standard output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# target → the Organa targets it may import (anything not listed here is forbidden).
declare -A allowed=(
  [ArrayCore]=""
  [VolumeCore]="ArrayCore"
  [NiftiIO]="ArrayCore VolumeCore CZlib CDeflate"
  [Meshing]="ArrayCore VolumeCore"
  [LabelOps]="ArrayCore VolumeCore"
  [PostProcessing]="ArrayCore VolumeCore LabelOps"
  [Segmentation]="ArrayCore VolumeCore LabelOps NNUNetRuntime NNLayers"
  [Phantom]="ArrayCore VolumeCore NiftiIO"
  [NNLayers]="ArrayCore COpenBLAS CNNKernels"
  [NNUNetRuntime]="ArrayCore VolumeCore LabelOps NNLayers CNNKernels CZlib"
  [OrganaTestSupport]="ArrayCore VolumeCore NiftiIO Meshing"
  [ServiceContracts]=""
  [ServiceSupport]="ServiceContracts CCrypto NiftiIO VolumeCore ArrayCore"
  [PostgresStore]="ServiceContracts ServiceSupport"
  [GatewayApp]="ServiceContracts ServiceSupport PostgresStore Segmentation NiftiIO"
  [ImageServiceApp]="ServiceContracts ServiceSupport Segmentation NiftiIO VolumeCore"
  [PostServiceApp]="ServiceContracts ServiceSupport PostProcessing NiftiIO VolumeCore"
  [MeshServiceApp]="ServiceContracts ServiceSupport Meshing Segmentation NiftiIO VolumeCore"
  [organa]="ArrayCore VolumeCore NiftiIO Meshing Phantom LabelOps PostProcessing NNLayers NNUNetRuntime Segmentation ServiceContracts ServiceSupport PostgresStore GatewayApp ImageServiceApp PostServiceApp MeshServiceApp"
  [nnunet-pickle-fuzz]="NNUNetRuntime"
)
domain="ArrayCore VolumeCore NiftiIO Meshing Phantom LabelOps PostProcessing NNLayers NNUNetRuntime Segmentation"
organa_targets="ArrayCore VolumeCore NiftiIO Meshing Phantom LabelOps PostProcessing NNLayers NNUNetRuntime Segmentation OrganaTestSupport CZlib CDeflate COpenBLAS CNNKernels CCrypto ServiceContracts ServiceSupport PostgresStore GatewayApp ImageServiceApp PostServiceApp MeshServiceApp organa"
status=0
for target in "${!allowed[@]}"; do
  [ -d "Sources/$target" ] || continue
  while IFS=: read -r file _ line; do
    module=$(sed -E 's/^(@testable |public |package |internal )*import +([A-Za-z0-9_]+).*/\2/' <<<"$line")
    if [[ " $organa_targets " == *" $module "* ]] && [[ " ${allowed[$target]} " != *" $module "* ]]; then
      echo "layer violation: $file imports $module (allowed for $target: ${allowed[$target]:-none})"; status=1
    fi
    if [[ " $domain " == *" $target "* ]] && [[ "$module" =~ ^(Hummingbird|NIO|AsyncHTTPClient|Logging)$ ]]; then
      echo "layer violation: domain target $target imports $module ($file)"; status=1
    fi
  done < <(grep -rnE '^\s*(@testable |public |package |internal )*import ' "Sources/$target" --include='*.swift' || true)
  # ServiceContracts is HTTP-free: plain Codable types any client can share.
  if [[ "$target" == ServiceContracts ]] && grep -rnE '^\s*(public )?import +(Hummingbird|NIO|HTTPTypes|GRDB)' "Sources/$target"; then
    echo "layer violation: ServiceContracts imports an HTTP or storage framework"; status=1
  fi
  if [[ " $domain " == *" $target "* ]]; then
    if grep -rnE '\bprint\(|ProcessInfo\.processInfo\.environment|getenv\(' "Sources/$target" --include='*.swift'; then
      echo "layer violation: domain target $target prints or reads the environment"; status=1
    fi
  fi
done
[ $status -eq 0 ] && echo "layers: imports point down" >&2
exit $status
