# ckks-accel hexl-compat: reports version 1.2.6 and accepts any request for 1.2.0 .. 1.2.6
# (SEAL 4.0 asks for 1.2.3, SEAL 4.1 for 1.2.4, openfhe-hexl for 1.2.5 or, from v1.5.1.0, 1.2.6;
# Intel HEXL's own file accepts only its exact
# version). An exact request is satisfied only by 1.2.6.
set(PACKAGE_VERSION "1.2.6")
if(NOT DEFINED PACKAGE_FIND_VERSION OR "${PACKAGE_FIND_VERSION}" STREQUAL "")
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_FIND_VERSION_MAJOR EQUAL 1 AND PACKAGE_FIND_VERSION_MINOR EQUAL 2
       AND NOT PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
else()
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
# A 64-bit package: refuse 32-bit consumers.
if(CMAKE_SIZEOF_VOID_P AND NOT CMAKE_SIZEOF_VOID_P EQUAL 8)
  set(PACKAGE_VERSION "${PACKAGE_VERSION} (64-bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
