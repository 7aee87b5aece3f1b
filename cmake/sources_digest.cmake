# Writes OUTPUT with SHA-256 digests. PVM_JIT_SOURCES (or NAME, when given), of the files in
# SOURCES (separated by '|'), is part of the JIT cache's keys, so that code compiled by a JIT built
# from other sources is not reused; as PVM_COMPILER_SOURCES, of the module cache's, for modules of
# another compiler. PVM_VM_BUILD, written when VM_SOURCES are given, of those files and the
# build's FLAVOUR, is what the VM and the JIT library it loads must agree on: the library holds its
# own copy of the VM's code.
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
if(NOT NAME)
  set(NAME PVM_JIT_SOURCES)
endif()
digest_files("${SOURCES}" sources)
set(text "#define ${NAME} \"${sources}\"\n")
if(VM_SOURCES)
  digest_files("${VM_SOURCES}" vm "${FLAVOUR}")
  string(APPEND text "#define PVM_VM_BUILD \"${vm}\"\n")
endif()
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
