#pragma once

// Compiler and platform choices, in one place. The only user-facing macro here is
// ITERJSON_NO_SIMD (see the README's table of macros).

// The hot path from a frame's step down to the bytes it writes is inlined whatever the
// compiler's own estimate: the writer's position must stay in registers (see writer).
// Without optimisation (-O0, a debug build) nothing is forced: there it only costs the
// user compile time.
#if (defined(__GNUC__) || defined(__clang__)) && defined(__OPTIMIZE__)
#define ITERJSON_DETAIL_INLINE [[gnu::always_inline]] inline
#define ITERJSON_DETAIL_INLINE_LAMBDA __attribute__((always_inline))
#else
#define ITERJSON_DETAIL_INLINE inline
#define ITERJSON_DETAIL_INLINE_LAMBDA
#endif

// String scans use SSE2 where the target has it (every x86-64), else eight bytes a word.
#if !defined(ITERJSON_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64))
#define ITERJSON_DETAIL_SSE2 1
#endif

// Code built with -fno-exceptions gets errors as an encoder's state, error(), instead of
// encode_error; failure.hpp is where the two part.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define ITERJSON_DETAIL_EXCEPTIONS 1
#else
#define ITERJSON_DETAIL_EXCEPTIONS 0
#endif
