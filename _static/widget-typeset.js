// The widget manager (embed.js) typesets widget labels with MathJax 2's API,
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3, which
// has no Hub. Give whatever object window.MathJax is (the configuration first, MathJax 3
// once it replaces it) a Hub whose Queue typesets the element with MathJax 3.
(function () {
  "use strict";
  var hub = {
    Queue: function (job) {
      var mathjax = window.MathJax;
      if (mathjax && mathjax.typesetPromise && job && job[2]) {
        mathjax.typesetPromise([job[2]]);
      }
    }
  };
  var current = window.MathJax;
  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) {
      Object.defineProperty(value, "Hub", {value: hub, enumerable: false});
    }
    return value;
  }
  withHub(current);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
})();
