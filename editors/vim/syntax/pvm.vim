" Syntax of .pvm protocol descriptions (docs/language.md). The word lists follow the compiler's
" (compiler/check/language_facts.cpp, builtins.def, vm/include/pvm/bytecode/crc.def);
" tests/tools/editor_files_test.py checks that they do.
if exists("b:current_syntax")
  finish
endif

syn keyword pvmDeclaration protocol byteorder use const enum param framing frame delimited packet command fn table
syn match pvmDeclaration "\<escape\ze\s*{"
syn keyword pvmDeclaration session option nextgroup=pvmAccessor
syn match pvmAccessor "\.[A-Za-z_][A-Za-z0-9_]*" contained
syn keyword pvmStatement skip seek emit reply within at
syn keyword pvmException expect check fail warn return break
syn keyword pvmConditional if else match
syn keyword pvmRepeat repeat until end as
syn keyword pvmType int uint float bool str bytes number integer string any
syn keyword pvmConstant big little tcp udp
syn keyword pvmBoolean true false
syn keyword pvmRead u8 i8 u16 u16be u16le i16 i16be i16le u32 u32be u32le i32 i32be i32le
syn keyword pvmRead u64 u64be u64le i64 i64be i64le f32 f32be f32le f64 f64be f64le cstr rest
syn match pvmRead "\<\(bytes\|text\|bcd\|unsigned\|signed\|until\|field\)\ze\s*("
syn keyword pvmCursor pos size remaining now
syn match pvmBuiltin "\<\(len\|str\|hex\|int\|uint\|float\|slice\|byte\|bit\|bits\|div\|crc\|written\|find\|trim\|lower\|replace\|hexint\|regex\|group\|asbytes\|dec\|be16\|le16\|be32\|le32\|be64\|le64\|u8bytes\|unescape\|escape\)\ze\s*("
syn match pvmCrc "\<crc\s*(\s*\zs\(arc\|kermit\|x25\|modbus\|ccitt_false\|xmodem\|crc8\|crc8_maxim\|crc8_nrsc5\|crc32\|xor8\|sum8\)\>"
syn match pvmVariable "\$[A-Za-z_][A-Za-z0-9_]*"
syn match pvmParameter "#[A-Za-z0-9_]\+\([.-][A-Za-z0-9_]\+\)*\(\.\*\)\="
syn match pvmNumber "\<0[xX][0-9A-Fa-f_]\+\>\|\<0[bB][01_]\+\>\|\<[0-9][0-9_]*\(\.[0-9_]\+\)\=\([eE][+-]\=[0-9]\+\)\=\>"
syn match pvmEscape "\\\(x[0-9A-Fa-f]\{2}\|.\)" contained
syn region pvmString start=+"+ skip=+\\.+ end=+"+ oneline contains=pvmEscape
syn region pvmBytes start=+\<x"+ end=+"+ oneline
syn match pvmOperator "==>\|=>\|->"
syn keyword pvmTodo TODO FIXME XXX contained
syn match pvmComment "//.*$" contains=pvmTodo
syn region pvmComment start="/\*" end="\*/" contains=pvmTodo
syn sync ccomment pvmComment minlines=50

hi def link pvmDeclaration Structure
hi def link pvmAccessor Identifier
hi def link pvmStatement Statement
hi def link pvmException Exception
hi def link pvmConditional Conditional
hi def link pvmRepeat Repeat
hi def link pvmType Type
hi def link pvmConstant Constant
hi def link pvmBoolean Boolean
hi def link pvmRead Function
hi def link pvmCursor Function
hi def link pvmBuiltin Function
hi def link pvmCrc Constant
hi def link pvmVariable Identifier
hi def link pvmParameter Special
hi def link pvmNumber Number
hi def link pvmEscape SpecialChar
hi def link pvmString String
hi def link pvmBytes String
hi def link pvmOperator Operator
hi def link pvmComment Comment
hi def link pvmTodo Todo

let b:current_syntax = "pvm"
