// A notebook's player is stored as two outputs: a PNG of its first step, then a script that adds
// the player (an iframe) after itself. Where that script has run, as on this page, the player
// stands in for the picture: hide the picture that comes right before the player's script.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll(".cell_output iframe[srcdoc]").forEach(function (frame) {
    var script = frame.previousElementSibling;
    if (!script || script.tagName !== "SCRIPT") { return; }
    var before = script.previousElementSibling;
    if (before && (before.tagName === "IMG" || before.querySelector("img"))) { before.style.display = "none"; }
  });
});
