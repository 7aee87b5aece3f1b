# What `cmake --install` gives a host that embeds PVM: the exported targets pvm::bytecode,
# pvm::vm (and pvm::vm_shared with PVM_SHARED_VM) and pvm::compiler, a package configuration for
# find_package(pvm), and pkg-config files pvm.pc (the VM) and pvm-compiler.pc.
include(CMakePackageConfigHelpers)

set(PVM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pvm)
install(EXPORT pvmTargets NAMESPACE pvm:: DESTINATION ${PVM_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/pvmConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/pvmConfig.cmake INSTALL_DESTINATION ${PVM_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pvmConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pvmConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/pvmConfigVersion.cmake
        DESTINATION ${PVM_CMAKE_DIR})

# pkg-config takes the prefix from where the file is installed (${pcfiledir}), so the installed
# tree can be moved, and `cmake --install --prefix` works.
file(RELATIVE_PATH PVM_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" PVM_PC_TO_PREFIX "${PVM_PC_TO_PREFIX}")
# With the JIT the VM loads its JIT library (installed in lib/pvm) with dlopen; LLVM is that
# library's dependency, not the host's.
set(PVM_PC_JIT_LIBS "")
if(PVM_JIT)
  set(PVM_PC_JIT_LIBS "-ldl ")
endif()
foreach(pc pvm pvm-compiler)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
