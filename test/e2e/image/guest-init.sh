#!/bin/sh
# PID 1 of the end-to-end guest (installed as /sbin/mamori-init). A full systemd boot costs tens
# of seconds under TCG; the agent needs only what a desktop's kernel and udev give it: devtmpfs,
# systemd-udevd with its coldplug, a network to the collector, and the project through 9p.
# Kernel command line: mamori.runner=HOST:PORT (where the host's harness listens),
# mamori.project=PATH (the host's project folder, mounted read-only at the same path).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

say() { echo "mamori-init: $*" > /dev/console; }
halt_now() { say "$*"; sync; echo o > /proc/sysrq-trigger; sleep 10; }

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
echo 4 > /proc/sys/kernel/printk
echo mamori-e2e > /proc/sys/kernel/hostname

runner=""
project=""
for word in $(cat /proc/cmdline); do
  case "$word" in
    mamori.runner=*) runner="${word#mamori.runner=}" ;;
    mamori.project=*) project="${word#mamori.project=}" ;;
  esac
done
[ -n "$runner" ] && [ -n "$project" ] || halt_now "mamori.runner and mamori.project are required"

for module in $(cat /etc/mamori-e2e/preload); do
  modprobe "$module" || say "modprobe $module failed"
done

/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add --type=subsystems
udevadm trigger --action=add --type=devices
udevadm settle --timeout=60

ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

mkdir -p "$project" /e2e
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose project "$project" || halt_now "cannot mount the project share"
mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=512000 e2e /e2e || halt_now "cannot mount the run share"

say "ready after $(cut -d' ' -f1 /proc/uptime) s"
node /e2e/runner.mjs "${runner%:*}" "${runner##*:}" "$project"
halt_now "runner exited with status $?"
