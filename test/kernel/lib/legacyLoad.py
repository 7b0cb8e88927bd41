#!/usr/bin/env python3
# Loads the XDP sections of an object with a legacy `maps` section (struct bpf_map_def), which
# libbpf >= 1.0, bpftool and iproute2 refuse, the way samples/bpf's bpf_load.c did: each map created
# from its def (BPF_MAP_CREATE), ld_imm64 relocations against it patched to its fd
# (BPF_PSEUDO_MAP_FD), each section loaded as BPF_PROG_TYPE_XDP (BPF_PROG_LOAD) and pinned at
# DIR/<the symbol at offset 0 of the section, else the section's name> (BPF_OBJ_PIN).
# Usage: legacyLoad.py OBJ DIR. Prints the pinned names; exits 1 with the verifier's log on refusal.
import ctypes
import os
import struct
import sys

SYS_BPF = 321  # x86_64
BPF_MAP_CREATE, BPF_PROG_LOAD, BPF_OBJ_PIN = 0, 5, 6
BPF_PROG_TYPE_XDP = 6
SHT_PROGBITS, SHT_SYMTAB, SHT_REL = 1, 2, 9

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    r = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    if r < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return r


def main(obj, pindir):
    data = open(obj, 'rb').read()
    if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
        sys.exit(f'{obj}: not a 64-bit little-endian ELF object')
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
    secs = []
    for i in range(shnum):
        name, typ, _f, _a, off, size, link, info, _al, _es = struct.unpack_from(
            '<IIQQQQIIQQ', data, shoff + i * shentsize)
        secs.append({'name': name, 'type': typ, 'off': off, 'size': size, 'link': link, 'info': info})

    def cstr(off):
        return data[off:data.index(b'\0', off)].decode()

    for s in secs:
        s['n'] = cstr(secs[shstrndx]['off'] + s['name'])
    symtab = next((s for s in secs if s['type'] == SHT_SYMTAB), None)
    if not symtab:
        sys.exit(f'{obj}: no symbol table')
    strtab = secs[symtab['link']]
    syms = []
    for i in range(symtab['size'] // 24):
        name, _info, _o, shndx, value, _size = struct.unpack_from('<IBBHQQ', data, symtab['off'] + i * 24)
        syms.append({'name': cstr(strtab['off'] + name), 'shndx': shndx, 'value': value})
    mapsidx = next((i for i, s in enumerate(secs) if s['n'] == 'maps'), None)
    if mapsidx is None:
        sys.exit(f'{obj}: no legacy maps section')
    msyms = sorted((s for s in syms if s['shndx'] == mapsidx and s['name']), key=lambda s: s['value'])
    fds = {}
    for s in msyms:
        mtype, ks, vs, me, fl = struct.unpack_from('<IIIII', data, secs[mapsidx]['off'] + s['value'])
        attr = bytearray(128)
        struct.pack_into('<IIIII', attr, 0, mtype, ks, vs, me, fl)
        name = s['name'].encode()[:15]  # BPF_OBJ_NAME_LEN
        attr[28:28 + len(name)] = name
        try:
            fds[s['value']] = bpf(BPF_MAP_CREATE, attr)
        except OSError as e:
            sys.exit(f"map '{s['name']}': {e}")
    os.makedirs(pindir, exist_ok=True)
    for idx, sec in enumerate(secs):
        if sec['type'] != SHT_PROGBITS or not sec['n'].startswith('xdp') or sec['size'] == 0:
            continue
        entry = [s for s in syms if s['shndx'] == idx and s['value'] == 0 and s['name']]
        pname = entry[0]['name'] if entry else sec['n']
        insns = bytearray(data[sec['off']:sec['off'] + sec['size']])
        rel = next((s for s in secs if s['type'] == SHT_REL and s['info'] == idx), None)
        for i in range(rel['size'] // 16 if rel else 0):
            roff, rinfo = struct.unpack_from('<QQ', data, rel['off'] + i * 16)
            sym = syms[rinfo >> 32]
            if sym['shndx'] != mapsidx:
                continue
            insns[roff + 1] = (insns[roff + 1] & 0x0f) | 0x10  # src_reg = BPF_PSEUDO_MAP_FD
            struct.pack_into('<i', insns, roff + 4, fds[sym['value']])
        ibuf = ctypes.create_string_buffer(bytes(insns), len(insns))
        lic = ctypes.create_string_buffer(b'GPL')
        log = ctypes.create_string_buffer(1 << 20)
        attr = bytearray(128)
        struct.pack_into('<IIQQIIQ', attr, 0, BPF_PROG_TYPE_XDP, len(insns) // 8, ctypes.addressof(ibuf),
                         ctypes.addressof(lic), 1, 1 << 20, ctypes.addressof(log))
        name = pname.encode()[:15]
        attr[48:48 + len(name)] = name
        try:
            fd = bpf(BPF_PROG_LOAD, attr)
        except OSError as e:
            sys.exit(f'{pname}: {e}\n{log.value.decode(errors="replace")[-4000:]}')
        path = ctypes.create_string_buffer(os.path.join(pindir, pname).encode())
        pattr = bytearray(16)
        struct.pack_into('<QI', pattr, 0, ctypes.addressof(path), fd)
        bpf(BPF_OBJ_PIN, pattr)
        print(pname)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: legacyLoad.py OBJ DIR')
    main(sys.argv[1], sys.argv[2])
