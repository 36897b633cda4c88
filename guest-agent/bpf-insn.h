/* Instruction macros for hand-assembled eBPF programs (the agent's trace
 * program, trace-bpf.c). Each builds one struct bpf_insn, except
 * BPF_LD_MAP_FD, which is the two-slot 64-bit immediate load. Names follow
 * the kernel's instruction set documentation (BPF_ALU64, BPF_JMP, ...). */
#pragma once

#include <linux/bpf.h>

#define VGL_INSN(CODE, DST, SRC, OFF, IMM)                                                         \
        ((struct bpf_insn){                                                                        \
                .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM)})

/* dst = src; dst = imm; dst op= imm (64-bit) */
#define VGL_MOV64_REG(DST, SRC)     VGL_INSN(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define VGL_MOV64_IMM(DST, IMM)     VGL_INSN(BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define VGL_ALU64_IMM(OP, DST, IMM) VGL_INSN(BPF_ALU64 | (OP) | BPF_K, DST, 0, 0, IMM)

/* dst = *(size *)(src + off); *(size *)(dst + off) = src / imm */
#define VGL_LDX_MEM(SIZE, DST, SRC, OFF) VGL_INSN(BPF_LDX | (SIZE) | BPF_MEM, DST, SRC, OFF, 0)
#define VGL_STX_MEM(SIZE, DST, SRC, OFF) VGL_INSN(BPF_STX | (SIZE) | BPF_MEM, DST, SRC, OFF, 0)
#define VGL_ST_MEM(SIZE, DST, OFF, IMM)  VGL_INSN(BPF_ST | (SIZE) | BPF_MEM, DST, 0, OFF, IMM)

/* lock *(size *)(dst + off) += src */
#define VGL_ATOMIC_ADD(SIZE, DST, SRC, OFF)                                                        \
        VGL_INSN(BPF_STX | (SIZE) | BPF_ATOMIC, DST, SRC, OFF, BPF_ADD)

/* dst = the map behind fd (the verifier replaces the fd with the map). */
#define VGL_LD_MAP_FD(DST, FD)                                                                     \
        VGL_INSN(BPF_LD | BPF_DW | BPF_IMM, DST, BPF_PSEUDO_MAP_FD, 0, FD), VGL_INSN(0, 0, 0, 0, 0)

/* if (dst op imm) goto pc + off + 1; goto pc + off + 1 */
#define VGL_JMP_IMM(OP, DST, IMM, OFF) VGL_INSN(BPF_JMP | (OP) | BPF_K, DST, 0, OFF, IMM)
#define VGL_JA(OFF)                    VGL_INSN(BPF_JMP | BPF_JA, 0, 0, OFF, 0)

/* r0 = helper(r1..r5); r1-r5 are clobbered, r6-r9 kept. */
#define VGL_CALL(FUNC) VGL_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, FUNC)
#define VGL_EXIT()     VGL_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
