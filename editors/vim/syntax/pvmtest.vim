" Syntax of .pvmtest golden tests (docs/testing.md): a header of `key: value` lines and `#`
" comments, then `--- NAME` sections. The program section is highlighted as .pvm, the input and
" replies as hex.
if exists("b:current_syntax")
  finish
endif

syn include @pvmProgram syntax/pvm.vim
unlet! b:current_syntax

syn match pvmtestComment "^\s*#.*$"
syn match pvmtestKey "^\s*[A-Za-z_][A-Za-z0-9_]*\s*:" nextgroup=pvmtestValue skipwhite
syn match pvmtestValue ".*$" contained
syn match pvmtestSection "^--- .*$"

syn region pvmtestProgram matchgroup=pvmtestSection start="^--- program\s*$" end="^\(--- \)\@=" contains=@pvmProgram keepend
syn region pvmtestHex matchgroup=pvmtestSection start="^--- \(input\|replies\|encoded\)\s*$" end="^\(--- \)\@=" contains=pvmtestHexDigits,pvmtestHexComment,pvmtestNotHex keepend
syn match pvmtestHexDigits "[0-9A-Fa-f]\+" contained
syn match pvmtestHexComment "#.*$" contained
syn match pvmtestNotHex "[^ \t0-9A-Fa-f#]\+" contained
syn region pvmtestOutput matchgroup=pvmtestSection start="^--- \(messages\|errors\|diagnostics\|asm\)\s*$" end="^\(--- \)\@=" contains=pvmtestLocation keepend
syn match pvmtestLocation "^[^: \t]\+:[0-9]\+\(:[0-9]\+\)\=:" contained

hi def link pvmtestComment Comment
hi def link pvmtestKey Identifier
hi def link pvmtestValue String
hi def link pvmtestSection PreProc
hi def link pvmtestHexDigits Number
hi def link pvmtestHexComment Comment
hi def link pvmtestNotHex Error
hi def link pvmtestLocation Directory

" Sections decide everything below them, and tests are short.
syn sync fromstart

let b:current_syntax = "pvmtest"
