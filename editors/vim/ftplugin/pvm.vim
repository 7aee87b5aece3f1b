" .pvm files: comments, and :make runs `pvm compile` on the file, jumping to its errors.
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,://
setlocal suffixesadd=.pvm
setlocal shiftwidth=4 softtabstop=4 expandtab
" `pvm compile` writes `file:line:col: error: message [kind]`, then the source line, a caret
" and `  hint: ...` lines, which are left out.
setlocal makeprg=pvm\ compile\ %\ -o\ /dev/null
setlocal errorformat=%f:%l:%c:\ %trror:\ %m,%f:%l:%c:\ %tarning:\ %m,%f:%l:%c:\ note:\ %m,%-G%.%#

let b:undo_ftplugin = "setlocal commentstring< comments< suffixesadd< shiftwidth< softtabstop< expandtab< makeprg< errorformat<"
