// types.h: fixed-width integer names used everywhere in the kernel.
#pragma once

typedef unsigned char      uchar;
typedef unsigned short     ushort;
typedef unsigned int       uint;
typedef unsigned long      ulong;

typedef unsigned char      uint8;
typedef unsigned short     uint16;
typedef unsigned int       uint32;
typedef unsigned long      uint64;
typedef long               int64;

typedef uint64 pte_t;
typedef uint64 *pagetable_t;   // one 4 KiB page of 512 PTEs

#define NULL ((void *)0)
