# `cpack -G DEB` in the build folder makes a Debian package of the app, the CLI and the
# bundled model.
set(CPACK_PACKAGE_NAME "oddigit")
set(CPACK_PACKAGE_VENDOR "Oddigit")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Oddigit developers")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp")
set(CPACK_GENERATOR "DEB")
if(ODDIGIT_GUI)
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/oddigit.desktop" DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
endif()
include(CPack)
