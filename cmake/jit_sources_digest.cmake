# Writes OUTPUT with two SHA-256 digests. PVM_JIT_SOURCES, of the files in SOURCES (separated by
# '|'), is part of the JIT cache's keys, so that code compiled by a JIT built from other sources is
# not reused. PVM_VM_BUILD, of the files in VM_SOURCES and the build's FLAVOUR, is what the VM and
# the JIT library it loads must agree on: the library holds its own copy of the VM's code.
function(digest_files list out)
  string(REPLACE "|" ";" files "${list}")
  set(all "")
  foreach(file IN LISTS files)
    file(SHA256 "${file}" one)
    string(APPEND all "${one}")
  endforeach()
  string(SHA256 digest "${all}${ARGN}")
  set(${out} ${digest} PARENT_SCOPE)
endfunction()
digest_files("${SOURCES}" jit)
digest_files("${VM_SOURCES}" vm "${FLAVOUR}")
set(text "#define PVM_JIT_SOURCES \"${jit}\"\n#define PVM_VM_BUILD \"${vm}\"\n")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
