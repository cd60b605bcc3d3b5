#!/bin/sh
# extract guest blob bytes [xm_guest_start, xm_guest_end) from the ELF
B=$1; OUT=$2
S=0x$(nm $B | awk '$3=="xm_guest_start"{print $1}')
E=0x$(nm $B | awk '$3=="xm_guest_end"{print $1}')
# find file offset of .rodata
read VMA OFF <<EOT
$(objdump -h $B | awk '$2==".rodata"{print "0x"$4, "0x"$6}')
EOT
python3 -c "
import sys
s,e,vma,off=$S,$E,$VMA,$OFF
d=open('$B','rb').read()
open('$OUT','wb').write(d[off+s-vma:off+e-vma])
print('blob', hex(s), hex(e), e-s, 'bytes')
"
