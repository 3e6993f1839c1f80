#!/usr/bin/env bash
# What the tests need from the system: Debian's Chromium for Playwright, tcpdump and tshark for real
# packet capture, python3 for the "students' own programs" in watch tests, CJK fonts for screenshots;
# for the lab network: ip and tc (iproute2), ethtool (TX checksum offload off on its veths), unshare,
# nsenter and setpriv (util-linux) for the lab without root.
# Installs what is missing when it can (root + apt-get); otherwise says exactly what to run.
set -u
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
command -v strace >/dev/null 2>&1 || need+=(strace)
# the kernel layer's exact source (kernel tracepoints); nft makes the retransmission test's dropping port
command -v bpftrace >/dev/null 2>&1 || need+=(bpftrace)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v tc >/dev/null 2>&1 || need+=(iproute2)
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
command -v nsenter >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || need+=(fonts-noto-cjk)
# bpftrace attaches through tracefs: mount it where it is missing (root only; never fatal)
mount_tracefs() {
  [ "$(id -u)" = 0 ] || return 0
  [ -d /sys/kernel/tracing/events ] && return 0
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || echo "test-deps: could not mount tracefs; the kernel tracepoint tests will say SKIPPED" >&2
  return 0
}
if [ ${#need[@]} -eq 0 ]; then mount_tracefs; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: installing ${need[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then apt-get update -qq; fi
  apt-get install -y -qq "${need[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
  rc=$?
  # bpftrace, nftables or ethtool missing from this distribution's archive must not fail CI: their tests
  # skip loudly
  if [ $rc -ne 0 ]; then
    rest=(); for n in "${need[@]}"; do case "$n" in bpftrace|nftables|ethtool) ;; *) rest+=("$n") ;; esac; done
    rc=0; [ ${#rest[@]} -gt 0 ] && { apt-get install -y -qq "${rest[@]}" >/dev/null; rc=$?; }
    for n in bpftrace nftables ethtool; do apt-get install -y -qq "$n" >/dev/null 2>&1 || echo "test-deps: $n could not be installed; its tests will say SKIPPED" >&2; done
  fi
  mount_tracefs
  exit $rc
fi
echo "test-deps: missing ${need[*]}. Install them with: sudo apt-get install -y ${need[*]}" >&2
# chromium is required; the others make their tests skip loudly
for n in "${need[@]}"; do [ "$n" = chromium ] && exit 1; done
exit 0
