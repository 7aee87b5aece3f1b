autocmd BufRead,BufNewFile *.pvm setfiletype pvm
autocmd BufRead,BufNewFile *.pvmtest setfiletype pvmtest
