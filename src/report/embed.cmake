# embed.cmake - turn the report's static parts into a C source of byte arrays.
#
#   cmake -DSRC=<src/report> -DOUT=<report_assets.c> -P embed.cmake
#
# Writes lk_report_html / lk_report_css / lk_report_js (unsigned char[]) and
# their *_len, declared in src/report.h.  A trailing NUL is added but not
# counted.  The script and the style are pasted into <script> and <style>
# elements, so text that would end or confuse them fails the build.
foreach(part css js)
  file(READ "${SRC}/report.${part}" text)
  string(TOLOWER "${text}" text)
  foreach(bad "</script" "</style" "<!--" "<script")
    string(FIND "${text}" "${bad}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "src/report/report.${part} contains '${bad}' (offset ${at})")
    endif()
  endforeach()
endforeach()
foreach(part html css js)
  file(READ "${SRC}/report.${part}" hex HEX)
  string(LENGTH "${hex}" n)
  math(EXPR n "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # about 16 bytes per line
  string(REGEX REPLACE "((0x..,){16})" "\\1\n" bytes "${bytes}")
  string(APPEND body "const unsigned char lk_report_${part}[] = {\n${bytes}0x00};\n"
                     "const size_t lk_report_${part}_len = ${n};\n\n")
endforeach()
set(text "/* Generated from src/report/ by src/report/embed.cmake; do not edit. */\n#include \"report.h\"\n\n${body}")
# only touch the file when it changes, so that nothing rebuilds needlessly
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUT}" "${text}")
endif()
