const response = await fetch("http://localhost:8000/api/auth/session", {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    "Authorization": "Bearer <token>"
  },
});

const data = await response.json();
console.log(data);
