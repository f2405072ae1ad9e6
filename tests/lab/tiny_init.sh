#!/bin/busybox sh
# /init of the lab's tiny initrd: load virtio-blk + ext4, mount root=, switch_root to init=.
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
while read -r m; do insmod "/modules/$m"; done < /modules/order
root=/dev/vda; init=/sbin/init; mode=ro
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        root=*) root="${arg#root=}" ;;
        init=*) init="${arg#init=}" ;;
        rw) mode=rw ;;
    esac
done
i=0
while [ ! -b "$root" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 -o "$mode" "$root" /newroot; then
    echo "tiny initrd: cannot mount $root" > /dev/console
    exit 1
fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot "$init"
