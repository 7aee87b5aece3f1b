" .pvmtest golden tests: `#` comments in the header, and :make runs `pvm test` on the file.
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=#\ %s
setlocal comments=:#
" `pvm test` prints `FAIL FILE` and a diff for each failing test: the quickfix list gets the files.
setlocal makeprg=pvm\ test\ %
setlocal errorformat=FAIL\ %f,%-G%.%#

let b:undo_ftplugin = "setlocal commentstring< comments< makeprg< errorformat<"
