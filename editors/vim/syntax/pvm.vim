" Syntax of .pvm protocol descriptions (docs/language.md).
if exists("b:current_syntax")
  finish
endif

syn keyword pvmDeclaration protocol byteorder use const enum option session param framing packet command fn table
syn keyword pvmStatement skip seek expect check fail warn emit reply return break within
syn keyword pvmConditional if else match
syn keyword pvmRepeat repeat until end as
syn keyword pvmType int uint float bool str bytes number integer string any
syn keyword pvmRead u8 i8 u16 u16be u16le i16 i16be i16le u32 u32be u32le i32 i32be i32le u64 u64be u64le i64 i64be i64le f32 f32be f32le f64 f64be f64le cstr rest at pos size remaining
syn keyword pvmBoolean true false
syn keyword pvmBuiltin len hex slice byte bit bits div crc written find trim lower replace hexint regex group asbytes text bcd unsigned signed field
syn match pvmVariable "\$[A-Za-z_][A-Za-z0-9_]*"
syn match pvmParameter "#[A-Za-z0-9_][A-Za-z0-9_.-]*"
syn match pvmNumber "\<0[xX][0-9A-Fa-f_]\+\>\|\<0[bB][01_]\+\>\|\<[0-9][0-9_]*\(\.[0-9_]\+\)\=\([eE][+-]\=[0-9]\+\)\=\>"
syn region pvmString start=+"+ skip=+\\.+ end=+"+ oneline
syn region pvmBytes start=+x"+ end=+"+ oneline
syn match pvmOperator "==>\|=>\|->"
syn keyword pvmTodo TODO FIXME contained
syn match pvmComment "//.*$" contains=pvmTodo
syn region pvmComment start="/\*" end="\*/" contains=pvmTodo
syn match pvmTestSection "^--- .*$"

hi def link pvmDeclaration Structure
hi def link pvmStatement Statement
hi def link pvmConditional Conditional
hi def link pvmRepeat Repeat
hi def link pvmType Type
hi def link pvmRead Function
hi def link pvmBuiltin Function
hi def link pvmBoolean Boolean
hi def link pvmVariable Identifier
hi def link pvmParameter Special
hi def link pvmNumber Number
hi def link pvmString String
hi def link pvmBytes String
hi def link pvmOperator Operator
hi def link pvmComment Comment
hi def link pvmTodo Todo
hi def link pvmTestSection PreProc

let b:current_syntax = "pvm"
