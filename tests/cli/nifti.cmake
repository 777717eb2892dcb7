# NIfTI files written by fbd, read by nibabel: fbd_tests_data's export case writes volumes
# (uint8, int16, float32; .nii and .nii.gz; 1 and 2 channels) and a mask on a fixture's grid,
# then tests/cli/helpers/nifti_nibabel_check.py reads them with nibabel. Where no python3 with
# nibabel is found the check exits 77 and ctest lists it as Skipped.
set(_nifti_out ${CMAKE_CURRENT_BINARY_DIR}/cli-nifti)

# The first python3 that imports nibabel (pyenv's python3 may come first on PATH and lack
# Debian's python3-nibabel), else any python3 (the check then skips itself).
set(_nifti_python "")
find_program(FBD_PYTHON3_ON_PATH NAMES python3)
foreach(_py ${FBD_PYTHON3_ON_PATH} /usr/bin/python3)
  if(NOT _nifti_python AND EXISTS "${_py}")
    execute_process(COMMAND ${_py} -c "import nibabel" RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
    if(_rc EQUAL 0)
      set(_nifti_python ${_py})
    endif()
  endif()
endforeach()
if(NOT _nifti_python)
  set(_nifti_python ${FBD_PYTHON3_ON_PATH})
endif()

add_test(NAME nifti_export_for_nibabel
  COMMAND fbd_tests_data "--test-case=nifti: export files for nibabel*")
set_tests_properties(nifti_export_for_nibabel PROPERTIES FIXTURES_SETUP nifti_export LABELS cli
  ENVIRONMENT "FBD_NIFTI_EXPORT=${_nifti_out};FBD_TEST_DATA=${CMAKE_CURRENT_SOURCE_DIR}/fixtures")

if(_nifti_python)
  add_test(NAME nifti_nibabel_reads_fbd
    COMMAND ${_nifti_python} ${CMAKE_CURRENT_SOURCE_DIR}/cli/helpers/nifti_nibabel_check.py
            ${_nifti_out} ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/nifti)
else()
  add_test(NAME nifti_nibabel_reads_fbd COMMAND sh -c "echo 'SKIPPED: no python3 found'; exit 77")
endif()
set_tests_properties(nifti_nibabel_reads_fbd PROPERTIES FIXTURES_REQUIRED nifti_export LABELS cli
  SKIP_RETURN_CODE 77 PASS_REGULAR_EXPRESSION "nibabel .* reads the 5 files fbd wrote as fbd wrote them")
