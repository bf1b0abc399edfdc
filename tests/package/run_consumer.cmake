# SPDX-License-Identifier: Apache-2.0
# Builds and runs a consumer project. MODE=find_package first installs dlas to a prefix.
# TOOLCHAIN and EMULATOR (both optional) cross-build the consumer and run it emulated.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(toolchain_args)
if(TOOLCHAIN)
  set(toolchain_args -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN})
endif()
set(consumer_args -DDLAS_SOURCE_DIR=${DLAS_SOURCE_DIR} ${toolchain_args})
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S ${DLAS_SOURCE_DIR} -B ${WORK_DIR}/dlas-build ${toolchain_args} -DDLAS_BUILD_TESTS=OFF
      -DDLAS_BUILD_BENCHMARKS=OFF -DDLAS_BUILD_EXAMPLES=OFF -DDLAS_BUILD_TOOLS=OFF)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/dlas-build --prefix ${WORK_DIR}/prefix)
  if(NOT EXISTS ${WORK_DIR}/prefix/include/dlas/conv2d.hpp)
    message(FATAL_ERROR "install did not place the headers")
  endif()
  set(consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix ${toolchain_args})
endif()
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer-build ${consumer_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run(${EMULATOR} ${WORK_DIR}/consumer-build/consumer)
message(STATUS "consumer via ${MODE}: ok")
