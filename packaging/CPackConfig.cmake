# `cpack -G DEB` in the build folder makes a Debian package of the app, the CLI, the bundled
# model, the desktop integration and the man pages (scripts/package.sh builds, installs,
# tries and removes it).
set(CPACK_PACKAGE_NAME "oddigit")
set(CPACK_PACKAGE_VENDOR "Oddigit")
set(CPACK_PACKAGE_CONTACT "The Oddigit developers <oddigit@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "see which strokes of a handwritten digit look anomalous")
set(CPACK_PACKAGE_DESCRIPTION "Oddigit learns what handwritten digits look like with a GAN
and shows, live, which strokes of a digit you draw look anomalous, and
whether it is a digit at all. It comes with a model trained on MNIST, a
desktop application (draw, train, explore) and oddigit-cli for training,
scoring and evaluation without a display.")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB")
include(CPack)
