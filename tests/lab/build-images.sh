#!/usr/bin/env bash
# Builds the lab's base images from Debian's packages (debootstrap + docker import),
# because no container registry can be reached. An image is rebuilt only when its
# recipe (this file) changes: the recipe's hash is stored as an image label.
#   build-images.sh [SUITE...]   SUITE: bookworm, trixie (default: both, or WSO2AM_LAB_IMAGES)
set -euo pipefail
cd "$(dirname "$0")"
MIRROR=${WSO2AM_LAB_MIRROR:-http://deb.debian.org/debian}
recipe=$(sha256sum build-images.sh | cut -c1-16)
COMMON="python3,python3-apt,systemd,systemd-sysv,dbus,unzip,curl,ca-certificates,sudo,openssh-server,iproute2,procps,gnupg,locales"

build() {
  local suite=$1 extra=$2 tag="wso2am-lab:$1"
  if [ "$(docker image inspect -f '{{ index .Config.Labels "wso2am.lab.recipe" }}' "$tag" 2>/dev/null)" = "$recipe" ]; then
    echo "==> $tag is up to date"
    return
  fi
  echo "==> building $tag with debootstrap (a few minutes)"
  local dir
  dir=$(mktemp -d /var/tmp/wso2am-lab-XXXXXX)
  trap 'rm -rf "$dir" "$dir.log"' EXIT
  debootstrap --variant=minbase --include="$COMMON,$extra" "$suite" "$dir" "$MIRROR" >"$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; exit 1; }
  # Container-friendly systemd: no consoles, no udev, no time sync; the machine id is made at boot.
  for unit in getty@tty1.service serial-getty@.service console-getty.service systemd-udevd.service \
              systemd-udev-trigger.service systemd-timesyncd.service systemd-logind.service \
              sys-kernel-config.mount sys-kernel-debug.mount; do
    ln -sf /dev/null "$dir/etc/systemd/system/$unit"
  done
  : > "$dir/etc/machine-id"
  rm -f "$dir/var/lib/dbus/machine-id"
  printf 'deb %s %s main\n' "$MIRROR" "$suite" > "$dir/etc/apt/sources.list"
  # Keep the package lists, as a VM has them: apt works at once, and cache_valid_time is honest.
  rm -rf "$dir"/var/cache/apt/archives/*.deb
  tar -C "$dir" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' - "$tag-base" >/dev/null
  rm -rf "$dir" "$dir.log"
  trap - EXIT
  # Packages whose maintainer scripts need a configured Python (debootstrap's minbase cannot
  # configure them): installed with apt in a container of the imported image. The stand-in
  # packs read PKCS12 keystores and decrypt the secure vault with python3-cryptography.
  docker rm -f "wso2am-lab-build-$suite" >/dev/null 2>&1 || true
  docker run --name "wso2am-lab-build-$suite" "$tag-base" sh -c \
    'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-cryptography >/dev/null && apt-get clean' \
    || { docker rm -f "wso2am-lab-build-$suite" >/dev/null; exit 1; }
  docker commit -c 'CMD ["/lib/systemd/systemd"]' -c "LABEL wso2am.lab.recipe=$recipe" \
    "wso2am-lab-build-$suite" "$tag" >/dev/null
  docker rm -f "wso2am-lab-build-$suite" >/dev/null
  docker rmi "$tag-base" >/dev/null
  echo "==> built $tag"
}

suites=("$@")
[ "${#suites[@]}" -gt 0 ] || read -ra suites <<< "${WSO2AM_LAB_IMAGES:-bookworm trixie}"
for suite in "${suites[@]}"; do
  case "$suite" in
    bookworm) build bookworm openjdk-17-jre-headless ;;
    trixie) build trixie openjdk-21-jre-headless ;;
    *) echo "unknown lab image '$suite' (known: bookworm trixie)" >&2; exit 2 ;;
  esac
done
