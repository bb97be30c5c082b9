# ckks-accel hexl-compat: CMake package "HEXL" (imported target HEXL::hexl), installed by
# hexl-compat/install.sh PREFIX into PREFIX/lib/cmake/hexl-1.2.6/. Intel HEXL's API (1.2.x)
# implemented over ckks-accel: libhexl.a (the C++ layer) + libckks_accel.a (the kernels).
include(CMakeFindDependencyMacro)
find_dependency(Threads)

get_filename_component(_hexl_compat_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET HEXL::hexl)
  add_library(HEXL::hexl STATIC IMPORTED)
  set_target_properties(HEXL::hexl PROPERTIES
    IMPORTED_LOCATION "${_hexl_compat_prefix}/lib/libhexl.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_hexl_compat_prefix}/include"
    INTERFACE_COMPILE_FEATURES "cxx_std_17"
    INTERFACE_LINK_LIBRARIES "${_hexl_compat_prefix}/lib/libckks_accel.a;Threads::Threads;${CMAKE_DL_LIBS};m")
endif()

set(HEXL_FOUND TRUE)
set(HEXL_CKKS_ACCEL_COMPAT TRUE)
if(NOT HEXL_FIND_QUIETLY)
  message(STATUS "HEXL ${HEXL_VERSION}: ckks-accel hexl-compat at ${_hexl_compat_prefix}")
endif()
