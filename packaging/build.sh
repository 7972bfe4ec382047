#!/usr/bin/env bash
# Builds Strongroom as a product (docs/install.md, docs/adr/0025-self-contained-executable-and-debian-package.md):
#   dist/strongroom-linux-x64/strongroom     self-contained single-file executable (no .NET needed to run it)
#   dist/strongroom-linux-arm64/strongroom   the same for 64-bit ARM
#   dist/strongroom_VERSION_amd64.deb        Debian package (and strongroom_VERSION_arm64.deb), checked with lintian
#
#   packaging/build.sh [--arch x64|arm64|all] [--version VERSION] [--no-deb] [--no-lintian]
#
# Defaults: --arch all, --version from src/Strongroom/Strongroom.csproj; MAINTAINER="Name <address>" sets the
# package's maintainer. Needs the .NET SDK and Node.js with npm
# (the web console is bundled into the executable); dpkg-deb, fakeroot, lintian and systemd-analyze are installed
# with apt-get when missing (as root; otherwise it says what to install). The commit is embedded by the SDK
# (InformationalVersion VERSION+COMMIT, shown by `strongroom --version`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

arches=(x64 arm64)
version=""
make_deb=1
run_lintian=1
maintainer=${MAINTAINER:-Strongroom maintainers <strongroom@example.org>}
while [ $# -gt 0 ]; do
  case "$1" in
    --arch)
      case "${2:-}" in
        x64|arm64) arches=("$2") ;;
        all) arches=(x64 arm64) ;;
        *) echo "build.sh: --arch: '${2:-}' is not x64, arm64 or all" >&2; exit 2 ;;
      esac
      shift 2 ;;
    --version)
      [[ "${2:-}" =~ ^[0-9]+(\.[0-9]+){2,3}$ ]] || { echo "build.sh: --version: '${2:-}' is not a version such as 1.2.3 or 1.2.3.4" >&2; exit 2; }
      version=$2; shift 2 ;;
    --no-deb) make_deb=""; shift ;;
    --no-lintian) run_lintian=""; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown flag '$1' (flags: --arch x64|arm64|all, --version VERSION, --no-deb, --no-lintian, --help)" >&2; exit 2 ;;
  esac
done
[ -n "$version" ] || version=$(grep -m1 -o "<Version>[0-9.]*</Version>" src/Strongroom/Strongroom.csproj | sed "s:</\?Version>::g")
[ -n "$version" ] || { echo "build.sh: no <Version> in src/Strongroom/Strongroom.csproj" >&2; exit 1; }

# Debian's packaging tools, installed when missing.
if [ -n "$make_deb" ]; then
  missing=()
  command -v dpkg-deb >/dev/null || missing+=(dpkg-dev)
  command -v fakeroot >/dev/null || missing+=(fakeroot)
  command -v lintian >/dev/null || missing+=(lintian)
  command -v systemd-analyze >/dev/null || missing+=(systemd)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "== apt-get install ${missing[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "build.sh: missing ${missing[*]}: apt-get install ${missing[*]} (or run with --no-deb)" >&2; exit 1
    fi
  fi
fi

mkdir -p dist
for arch in "${arches[@]}"; do
  out=dist/strongroom-linux-$arch
  rm -rf "$out"
  echo "== dotnet publish linux-$arch ($version) -> $out/strongroom"
  # Self-contained single file; the SQLite native library inside it is unpacked at start
  # (DOTNET_BUNDLE_EXTRACT_BASE_DIR, else ~/.net). ReadyToRun: measured in docs/adr/0025 (about 0.2 s faster, 20 MB more RSS). StrongroomVersion sets
  # the executable's version only, so a build with another version does not recompile the libraries.
  dotnet publish src/Strongroom/Strongroom.csproj -c Release -r "linux-$arch" --self-contained -nologo -v q \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:PublishReadyToRun=true \
    -p:DebugType=none -p:StrongroomVersion="$version" -o "$out" | { grep -E "error|warning [A-Z]+[0-9]+" | grep -v NU1603 || true; }
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "build.sh: dotnet publish linux-$arch failed" >&2; exit 1; }
  extra=$(find "$out" -mindepth 1 ! -name strongroom)
  [ -z "$extra" ] || { echo "build.sh: $out holds more than the executable: $extra" >&2; exit 1; }
  ls -l "$out/strongroom"
done

[ -n "$make_deb" ] || exit 0

changelog_date=$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
for arch in "${arches[@]}"; do
  case $arch in x64) debarch=amd64 ;; arm64) debarch=arm64 ;; esac
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  pkg=$stage/strongroom
  install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/etc/strongroom" "$pkg/lib/systemd/system" \
    "$pkg/usr/share/doc/strongroom" "$pkg/usr/share/man/man1" "$pkg/usr/share/lintian/overrides"
  install -m 0755 "dist/strongroom-linux-$arch/strongroom" "$pkg/usr/bin/strongroom"
  install -m 0644 packaging/debian/strongroom.json "$pkg/etc/strongroom/strongroom.json"
  install -m 0644 packaging/debian/strongroom.service "$pkg/lib/systemd/system/strongroom.service"
  install -m 0644 packaging/debian/copyright "$pkg/usr/share/doc/strongroom/copyright"
  install -m 0644 docs/install.md "$pkg/usr/share/doc/strongroom/install.md"
  gzip -9n < packaging/debian/strongroom.1 > "$pkg/usr/share/man/man1/strongroom.1.gz"
  chmod 0644 "$pkg/usr/share/man/man1/strongroom.1.gz"
  printf 'strongroom (%s) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
    "$version" "$(git rev-parse HEAD 2>/dev/null || echo unknown)" "$maintainer" "$changelog_date" | gzip -9n > "$pkg/usr/share/doc/strongroom/changelog.gz"
  chmod 0644 "$pkg/usr/share/doc/strongroom/changelog.gz"
  install -m 0644 packaging/debian/lintian-overrides "$pkg/usr/share/lintian/overrides/strongroom"
  install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$pkg/DEBIAN/"
  echo /etc/strongroom/strongroom.json > "$pkg/DEBIAN/conffiles"
  chmod 0644 "$pkg/DEBIAN/conffiles"
  size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
  cat > "$pkg/DEBIAN/control" <<CONTROL
Package: strongroom
Version: $version
Architecture: $debarch
Maintainer: $maintainer
Installed-Size: $size
Depends: adduser, libc6 (>= 2.31), libgcc-s1, libstdc++6, libssl3 | libssl1.1, zlib1g, ca-certificates
Section: admin
Priority: optional
Description: self-hosted secrets manager speaking AWS's APIs
 Strongroom stores secrets encrypted and serves them over the AWS Secrets
 Manager, KMS, SSM Parameter Store, IAM/STS and CloudTrail APIs, so the AWS CLI,
 boto3 and the AWS SDKs work against it unchanged. Every call is authorised by
 IAM policies and recorded in a tamper-evident audit trail.
 .
 This package runs it as a hardened systemd service (strongroom.service) with
 its data in /var/lib/strongroom and its settings in /etc/strongroom.
CONTROL
  deb=dist/strongroom_${version}_${debarch}.deb
  rm -f "$deb"
  fakeroot dpkg-deb -Zxz --build "$pkg" "$deb" >/dev/null
  rm -rf "$stage"; trap - EXIT
  if [ -n "$run_lintian" ]; then
    echo "== lintian $deb"
    lintian --fail-on error,warning "$deb" || { echo "build.sh: lintian found problems in $deb" >&2; exit 1; }
  fi
  ls -l "$deb"
done
